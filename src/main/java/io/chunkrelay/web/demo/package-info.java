/**
 * The demo chat's endpoint ({@code POST /demo/replies}): starts a simulated reply that the demo
 * producer writes through the node's own HTTP API, and hands the page the stream to follow. Off
 * outside demo mode ({@code 404 demo-disabled}).
 */
package io.chunkrelay.web.demo;
