/**
 * RTP and RTCP in: the one UDP socket (on the event loop: check, latch, count, hand over), then per
 * session a media thread that reorders, depacketizes, decodes and hands audio and pictures to the
 * {@code MediaSink}s, and asks senders for keyframes. The media threads are owned here.
 */
package io.roomcast.ingest;
