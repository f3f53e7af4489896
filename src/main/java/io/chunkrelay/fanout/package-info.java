/**
 * Fan-out over Redis Pub/Sub, one channel per stream: the publisher sends committed chunks after
 * commit as versioned messages of chunk fields, and each node's single subscriber connection
 * renders each chunk's frame once and hands it to that node's connections. Redis only accelerates
 * delivery: a message it loses, or one this node cannot read, is found again in the chunk log.
 */
package io.chunkrelay.fanout;
