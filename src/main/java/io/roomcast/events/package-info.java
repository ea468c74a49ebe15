/**
 * What happens in a room, announced: on the event bus for streams inside the node or cluster, and as
 * signed webhooks with retries ({@code Webhooks}), delivered asynchronously on the event loop.
 */
package io.roomcast.events;
