/** Test support shared by unit and integration tests: waiting and JSON. Never part of the WAR. */
package io.chunkrelay.testing;
