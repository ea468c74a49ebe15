package io.roomcast.ingest;

import java.util.function.Consumer;

/**
 * Turns in-order RTP payloads of one track into complete frames. Told about losses, a video
 * depacketizer drops the broken frame; whoever decodes then waits for a keyframe.
 */
public interface Depacketizer {
    /** A packet, in sequence order. Complete frames go to {@code out}. */
    void packet(RtpPacket p, Consumer<EncodedFrame> out);

    /** Packets were lost just before the next one. */
    void lost();

    static Depacketizer forCodec(String codec) {
        return switch (codec) {
            case "opus" -> new OpusDepacketizer();
            case "vp8" -> new Vp8Depacketizer();
            case "h264" -> new H264Depacketizer();
            default -> throw new IllegalArgumentException("no depacketizer for " + codec);
        };
    }
}
