/**
 * Keeps promise 9 (nobody reads or writes a stream they were not given): who is calling and what
 * they were given. Verifies tokens (or takes the container's roles) into a {@link
 * io.chunkrelay.auth.Grant}, which answers, for a scope and a stream, yes or a stable refusal;
 * nothing is granted that both the scope and the streams of the credential do not allow.
 */
package io.chunkrelay.auth;
