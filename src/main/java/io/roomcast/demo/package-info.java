/**
 * The demo room ({@code java -jar roomcast.jar demo}): simulated participants that send real RTP
 * (VP8 pictures drawn with their names, Opus speech from bundled public-domain clips), each on its
 * own pacing thread that owns its encoders; the room and its outputs are driven through the node's
 * HTTP API only ({@code NodeClient}), so the same code runs against a deployed node.
 */
package io.roomcast.demo;
