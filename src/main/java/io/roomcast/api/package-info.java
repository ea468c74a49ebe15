/**
 * The HTTP API at the edge: {@code ApiServer} sets up, one route class per resource answers,
 * {@code Auth} checks tokens and limits, and {@code Replies} is the one place where refusals become
 * HTTP statuses. Handlers run on the event loop and never block.
 */
package io.roomcast.api;
