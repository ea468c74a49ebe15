/**
 * The media-thread composition of a session: which encoders run (one per distinct output config),
 * the pictures composed for them by layout, the audio mix and silence handed to them, and the
 * room's layout state set through the API. Runs on the session's media thread (owned by
 * {@code ingest}); only {@link Layouts} is written from the event loop.
 */
package io.roomcast.compose;
