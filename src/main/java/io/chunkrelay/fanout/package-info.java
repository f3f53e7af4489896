/**
 * Fan-out over Redis Pub/Sub, one channel per stream: the publisher sends committed chunks after
 * commit, and each node's single subscriber connection hands them to that node's connections. Redis
 * only accelerates delivery; a message it loses is found again in the chunk log.
 */
package io.chunkrelay.fanout;
