package io.roomcast.ingest;

/** One complete compressed frame from a track: an Opus packet, a VP8 frame or an H.264 access unit. */
public record EncodedFrame(byte[] data, long rtpTimestamp, boolean keyframe) {
}
