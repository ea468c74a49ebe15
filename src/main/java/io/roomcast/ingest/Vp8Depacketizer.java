package io.roomcast.ingest;

import java.util.function.Consumer;

/**
 * RFC 7741 VP8 payloads: parses the payload descriptor (X, N, S, PID; I with 7- or 15-bit picture
 * ID, L, T/K), starts a frame at S=1 with PID 0, ends it at the marker bit, and reads the keyframe
 * flag from the VP8 payload header (P bit 0) at the start of the first partition.
 */
final class Vp8Depacketizer implements Depacketizer {
    static final int MAX_FRAME = 4 * 1024 * 1024;
    private final FrameAssembly frame = new FrameAssembly(MAX_FRAME);

    /** Offset of the VP8 payload after the descriptor, or -1 when the descriptor is malformed. */
    static int descriptorLength(byte[] d, int off, int len) {
        if (len < 1) return -1;
        int pos = 1;
        int b0 = d[off] & 0xff;
        if ((b0 & 0x80) != 0) { // X
            if (len < 2) return -1;
            int x = d[off + 1] & 0xff;
            pos = 2;
            if ((x & 0x80) != 0) { // I: picture ID
                if (len < pos + 1) return -1;
                pos += (d[off + pos] & 0x80) != 0 ? 2 : 1;
            }
            if ((x & 0x40) != 0) pos++; // L: TL0PICIDX
            if ((x & 0x30) != 0) pos++; // T or K: TID/Y/KEYIDX
        }
        return pos < len ? pos : -1;
    }

    @Override
    public void packet(RtpPacket p, Consumer<EncodedFrame> out) {
        int hdr = descriptorLength(p.data, p.payloadOffset, p.payloadLength);
        if (frame.open() && frame.timestamp() != p.timestamp) frame.finish(out); // marker lost: the next frame began
        if (hdr < 0) {
            frame.breakFrame();
            return;
        }
        int b0 = p.data[p.payloadOffset] & 0xff;
        boolean start = (b0 & 0x10) != 0 && (b0 & 0x07) == 0;
        int payload = p.payloadOffset + hdr;
        int length = p.payloadLength - hdr;
        if (start) {
            frame.finish(out);
            frame.begin(p.timestamp);
            if ((p.data[payload] & 0x01) == 0) frame.markKeyframe();
        } else if (!frame.open()) {
            return; // the start of this frame was lost: nothing to attach to
        }
        frame.append(p.data, payload, length);
        if (p.marker) frame.finish(out);
    }

    @Override
    public void lost() {
        frame.breakFrame();
    }
}
