package io.roomcast.ingest;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * RTCP (RFC 3550 section 6, RFC 4585 feedback): parsing of compound packets into the parts the ingest
 * uses (SR, RR, SDES, BYE), and writing of PLI and FIR (RFC 5104) keyframe requests.
 */
public final class Rtcp {
    public static final int SR = 200;
    public static final int RR = 201;
    public static final int SDES = 202;
    public static final int BYE = 203;
    public static final int PSFB = 206;

    private Rtcp() {
    }

    public sealed interface Part permits SenderReport, ReceiverReport, Sdes, Bye {
    }

    /** NTP time of the sender and the RTP timestamp that corresponds to it. */
    public record SenderReport(long ssrc, long ntpSeconds, long ntpFraction, long rtpTimestamp, long packetCount,
                               long octetCount) implements Part {
        /** The NTP time as Unix epoch microseconds. */
        public long unixMicros() {
            long seconds = ntpSeconds - 2_208_988_800L;
            return seconds * 1_000_000L + ((ntpFraction * 1_000_000L) >>> 32);
        }
    }

    public record ReceiverReport(long ssrc, int blocks) implements Part {
    }

    public record Sdes(long ssrc, String cname) implements Part {
    }

    public record Bye(List<Long> ssrcs) implements Part {
    }

    public static final class Malformed extends Exception {
        Malformed(String why) {
            super(why, null, false, false);
        }
    }

    /** Parses a compound RTCP packet; unknown packet types are skipped. */
    public static List<Part> parse(byte[] d, int len) throws Malformed {
        List<Part> parts = new ArrayList<>(2);
        int off = 0;
        while (off < len) {
            if (off + 4 > len) throw new Malformed("truncated header");
            int b0 = d[off] & 0xff;
            if ((b0 >> 6) != 2) throw new Malformed("version");
            int count = b0 & 0x1f;
            int pt = d[off + 1] & 0xff;
            int length = (RtpPacket.u16(d, off + 2) + 1) * 4;
            if (off + length > len) throw new Malformed("length");
            int end = off + length;
            switch (pt) {
                case SR -> {
                    if (length < 28) throw new Malformed("short SR");
                    parts.add(new SenderReport(RtpPacket.u32(d, off + 4), RtpPacket.u32(d, off + 8),
                            RtpPacket.u32(d, off + 12), RtpPacket.u32(d, off + 16), RtpPacket.u32(d, off + 20),
                            RtpPacket.u32(d, off + 24)));
                }
                case RR -> {
                    if (length < 8 + 24 * count) throw new Malformed("short RR");
                    parts.add(new ReceiverReport(RtpPacket.u32(d, off + 4), count));
                }
                case SDES -> parseSdes(d, off + 4, end, count, parts);
                case BYE -> {
                    if (length < 4 + 4 * count) throw new Malformed("short BYE");
                    List<Long> ssrcs = new ArrayList<>(count);
                    for (int i = 0; i < count; i++) ssrcs.add(RtpPacket.u32(d, off + 4 + 4 * i));
                    parts.add(new Bye(ssrcs));
                }
                default -> {
                    // APP, XR, feedback from someone else: not ours to act on.
                }
            }
            off = end;
        }
        return parts;
    }

    private static void parseSdes(byte[] d, int off, int end, int chunks, List<Part> parts) throws Malformed {
        for (int c = 0; c < chunks; c++) {
            if (off + 4 > end) throw new Malformed("short SDES");
            long ssrc = RtpPacket.u32(d, off);
            off += 4;
            String cname = null;
            while (off < end && d[off] != 0) {
                if (off + 2 > end) throw new Malformed("SDES item");
                int type = d[off] & 0xff;
                int n = d[off + 1] & 0xff;
                if (off + 2 + n > end) throw new Malformed("SDES item length");
                if (type == 1) cname = new String(d, off + 2, n, StandardCharsets.UTF_8);
                off += 2 + n;
            }
            off = (off + 4) & ~3; // the terminating null, then pad to a word
            parts.add(new Sdes(ssrc, cname));
        }
    }

    /** A Picture Loss Indication (RFC 4585 6.3.1) from {@code senderSsrc} about {@code mediaSsrc}. */
    public static byte[] pli(long senderSsrc, long mediaSsrc) {
        byte[] out = new byte[12];
        out[0] = (byte) (0x80 | 1);
        out[1] = (byte) PSFB;
        out[3] = 2;
        put32(out, 4, senderSsrc);
        put32(out, 8, mediaSsrc);
        return out;
    }

    /** A Full Intra Request (RFC 5104 4.3.1). */
    public static byte[] fir(long senderSsrc, long mediaSsrc, int sequence) {
        byte[] out = new byte[20];
        out[0] = (byte) (0x80 | 4);
        out[1] = (byte) PSFB;
        out[3] = 4;
        put32(out, 4, senderSsrc);
        put32(out, 12, mediaSsrc);
        out[16] = (byte) sequence;
        return out;
    }

    private static void put32(byte[] out, int off, long v) {
        out[off] = (byte) (v >> 24);
        out[off + 1] = (byte) (v >> 16);
        out[off + 2] = (byte) (v >> 8);
        out[off + 3] = (byte) v;
    }
}
