/**
 * The threads a node starts for itself: daemon threads that are remembered, so that a stopping node
 * can wait until every one of them has ended and a container that undeploys the application finds
 * none still running (a thread left behind pins the application's class loader).
 */
package io.chunkrelay.threads;
