/**
 * Rooms, sessions and participants: the registry of what exists on this node, its lifecycle
 * (a session starts with the first join, ends after the grace period) and its JSON manifests in the
 * store. Short synchronized mutations, called from the event loop and the media threads.
 */
package io.roomcast.room;
