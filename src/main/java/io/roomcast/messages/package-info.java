/**
 * Messages of a room's session (VideoSDK's PubSub: chat, polls, Q&A, reactions): published through
 * the API, delivered on the event bus to every node's streams, the persisted ones kept per session
 * and written to the store about every second and at the session's end, and polls tallied.
 */
package io.roomcast.messages;
