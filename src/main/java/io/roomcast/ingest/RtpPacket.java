package io.roomcast.ingest;

/**
 * One RTP packet (RFC 3550 section 5.1), parsed from a datagram without copying the payload: the
 * payload is {@code [payloadOffset, payloadOffset + payloadLength)} of {@link #data}. CSRC lists,
 * header extensions and padding are accounted for.
 */
public final class RtpPacket {
    /** Why a datagram was refused, for the drop counters. */
    public enum Reject { TOO_SHORT, BAD_VERSION, BAD_CSRC, BAD_EXTENSION, BAD_PADDING }

    public static final class Malformed extends Exception {
        public final Reject reason;

        Malformed(Reject reason) {
            super(reason.name(), null, false, false);
            this.reason = reason;
        }
    }

    public final byte[] data;
    public final boolean marker;
    public final int payloadType;
    public final int sequence;
    public final long timestamp;
    public final long ssrc;
    public final int csrcCount;
    public final int payloadOffset;
    public final int payloadLength;
    /** Arrival time, System.nanoTime(). */
    public final long arrivalNanos;

    private RtpPacket(byte[] data, boolean marker, int payloadType, int sequence, long timestamp, long ssrc,
                      int csrcCount, int payloadOffset, int payloadLength, long arrivalNanos) {
        this.data = data;
        this.marker = marker;
        this.payloadType = payloadType;
        this.sequence = sequence;
        this.timestamp = timestamp;
        this.ssrc = ssrc;
        this.csrcCount = csrcCount;
        this.payloadOffset = payloadOffset;
        this.payloadLength = payloadLength;
        this.arrivalNanos = arrivalNanos;
    }

    /** True when the datagram looks like RTCP (RFC 5761: packet types 192-223 in the second byte). */
    public static boolean isRtcp(byte[] d, int len) {
        if (len < 2) return false;
        int pt = d[1] & 0xff;
        return pt >= 192 && pt <= 223;
    }

    /** The SSRC of an RTP datagram, without further checks; -1 when it is too short. */
    public static long peekSsrc(byte[] d, int len) {
        return len < 12 ? -1 : u32(d, 8);
    }

    public static long u32(byte[] d, int off) {
        return ((d[off] & 0xffL) << 24) | ((d[off + 1] & 0xffL) << 16) | ((d[off + 2] & 0xffL) << 8) | (d[off + 3] & 0xffL);
    }

    public static int u16(byte[] d, int off) {
        return ((d[off] & 0xff) << 8) | (d[off + 1] & 0xff);
    }

    /** Parses {@code d[0, len)}; the array is kept, so hand over a copy the caller no longer touches. */
    public static RtpPacket parse(byte[] d, int len, long arrivalNanos) throws Malformed {
        if (len < 12) throw new Malformed(Reject.TOO_SHORT);
        int b0 = d[0] & 0xff;
        if ((b0 >> 6) != 2) throw new Malformed(Reject.BAD_VERSION);
        boolean padding = (b0 & 0x20) != 0;
        boolean extension = (b0 & 0x10) != 0;
        int cc = b0 & 0x0f;
        int offset = 12 + 4 * cc;
        if (offset > len) throw new Malformed(Reject.BAD_CSRC);
        if (extension) {
            if (offset + 4 > len) throw new Malformed(Reject.BAD_EXTENSION);
            int words = u16(d, offset + 2);
            offset += 4 + 4 * words;
            if (offset > len) throw new Malformed(Reject.BAD_EXTENSION);
        }
        int end = len;
        if (padding) {
            int pad = d[len - 1] & 0xff;
            if (pad == 0 || end - pad < offset) throw new Malformed(Reject.BAD_PADDING);
            end -= pad;
        }
        int b1 = d[1] & 0xff;
        return new RtpPacket(d, (b1 & 0x80) != 0, b1 & 0x7f, u16(d, 2), u32(d, 4), u32(d, 8), cc, offset,
                end - offset, arrivalNanos);
    }

    /** Builds an RTP datagram (for tests and tools). */
    public static byte[] build(int payloadType, boolean marker, int sequence, long timestamp, long ssrc, byte[] payload) {
        byte[] out = new byte[12 + payload.length];
        out[0] = (byte) 0x80;
        out[1] = (byte) ((marker ? 0x80 : 0) | (payloadType & 0x7f));
        out[2] = (byte) (sequence >> 8);
        out[3] = (byte) sequence;
        out[4] = (byte) (timestamp >> 24);
        out[5] = (byte) (timestamp >> 16);
        out[6] = (byte) (timestamp >> 8);
        out[7] = (byte) timestamp;
        out[8] = (byte) (ssrc >> 24);
        out[9] = (byte) (ssrc >> 16);
        out[10] = (byte) (ssrc >> 8);
        out[11] = (byte) ssrc;
        System.arraycopy(payload, 0, out, 12, payload.length);
        return out;
    }
}
