/**
 * How every part of the edge answers a refusal: RFC 9457 problem details with a stable code (the
 * last part of their type), never a stack trace; an unexpected failure is logged with an error id
 * that its answer carries.
 */
package io.chunkrelay.web.http;
