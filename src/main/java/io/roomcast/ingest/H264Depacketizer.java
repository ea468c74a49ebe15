package io.roomcast.ingest;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * RFC 6184 H.264 payloads in non-interleaved mode: single NAL units (1-23), STAP-A (24) and FU-A (28),
 * reassembled into Annex-B access units (one per RTP timestamp, ended by the marker bit). SPS and PPS
 * are remembered and put in front of an IDR access unit that lacks them, so a decoder can start there.
 */
final class H264Depacketizer implements Depacketizer {
    static final int MAX_FRAME = 4 * 1024 * 1024;
    private static final byte[] START = {0, 0, 0, 1};
    private final FrameAssembly frame = new FrameAssembly(MAX_FRAME);
    private byte[] sps;
    private byte[] pps;
    private boolean auHasSps;
    private boolean auHasPps;
    private boolean fuOpen;

    @Override
    public void packet(RtpPacket p, Consumer<EncodedFrame> out) {
        if (frame.open() && frame.timestamp() != p.timestamp) frame.finish(out);
        if (!frame.open()) {
            frame.begin(p.timestamp);
            auHasSps = false;
            auHasPps = false;
            fuOpen = false;
        }
        byte[] d = p.data;
        int off = p.payloadOffset;
        int len = p.payloadLength;
        if (len < 1) {
            frame.breakFrame();
            return;
        }
        int type = d[off] & 0x1f;
        if (type >= 1 && type <= 23) {
            nal(d, off, len);
        } else if (type == 24) { // STAP-A
            int pos = off + 1;
            int end = off + len;
            while (pos + 2 <= end) {
                int size = RtpPacket.u16(d, pos);
                pos += 2;
                if (size == 0 || pos + size > end) {
                    frame.breakFrame();
                    break;
                }
                nal(d, pos, size);
                pos += size;
            }
        } else if (type == 28) { // FU-A
            if (len < 2) {
                frame.breakFrame();
                return;
            }
            int fu = d[off + 1] & 0xff;
            boolean first = (fu & 0x80) != 0;
            boolean last = (fu & 0x40) != 0;
            int nalType = fu & 0x1f;
            if (first) {
                if (nalType == 5 && sps != null && pps != null) {
                    if (!auHasSps) prepend(sps);
                    if (!auHasPps) prepend(pps);
                }
                frame.append(START, 0, 4);
                byte header = (byte) ((d[off] & 0xe0) | nalType);
                frame.append(new byte[] {header}, 0, 1);
                noteType(nalType, null, 0, 0);
                fuOpen = true;
            } else if (!fuOpen) {
                frame.breakFrame(); // a fragment whose start we never saw
                return;
            }
            frame.append(d, off + 2, len - 2);
            if (last) fuOpen = false;
        } else {
            frame.breakFrame(); // STAP-B, MTAP, FU-B: interleaved modes are not negotiated
        }
        if (p.marker) finish(out);
    }

    private void nal(byte[] d, int off, int len) {
        int type = d[off] & 0x1f;
        if (type == 5 && (!auHasSps || !auHasPps) && sps != null && pps != null) {
            // An IDR without its parameter sets in this access unit: put the remembered ones first.
            if (!auHasSps) prepend(sps);
            if (!auHasPps) prepend(pps);
        }
        noteType(type, d, off, len);
        frame.append(START, 0, 4);
        frame.append(d, off, len);
    }

    private void prepend(byte[] ps) {
        frame.append(START, 0, 4);
        frame.append(ps, 0, ps.length);
        if ((ps[0] & 0x1f) == 7) auHasSps = true;
        else auHasPps = true;
    }

    private void noteType(int type, byte[] d, int off, int len) {
        switch (type) {
            case 5 -> frame.markKeyframe();
            case 7 -> {
                auHasSps = true;
                if (d != null) sps = Arrays.copyOfRange(d, off, off + len);
            }
            case 8 -> {
                auHasPps = true;
                if (d != null) pps = Arrays.copyOfRange(d, off, off + len);
            }
            default -> {
            }
        }
    }

    private void finish(Consumer<EncodedFrame> out) {
        if (fuOpen) frame.breakFrame(); // the last fragment never came
        frame.finish(out);
    }

    @Override
    public void lost() {
        frame.breakFrame();
        fuOpen = false;
    }
}
