package io.roomcast.ingest;

import java.util.Arrays;
import java.util.function.Consumer;

/** RFC 7587: each RTP payload is exactly one Opus packet. */
final class OpusDepacketizer implements Depacketizer {
    @Override
    public void packet(RtpPacket p, Consumer<EncodedFrame> out) {
        if (p.payloadLength == 0) return;
        out.accept(new EncodedFrame(Arrays.copyOfRange(p.data, p.payloadOffset, p.payloadOffset + p.payloadLength),
                p.timestamp, true));
    }

    @Override
    public void lost() {
        // Each packet stands alone; the decoder conceals the gap.
    }
}
