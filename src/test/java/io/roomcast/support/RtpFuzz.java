package io.roomcast.support;

import io.roomcast.ingest.RtpPacket;

import java.util.Random;

/**
 * Hostile datagrams for the RTP port: a quarter pure noise, the rest well-formed RTP headers for
 * registered SSRCs with random sequence numbers, timestamps and payloads (VP8 starts, H.264 FU-A and
 * STAP-A headers), sometimes with random P/X/CC bits, so they get past the parser into the jitter
 * buffers, depacketizers and decoders.
 */
public final class RtpFuzz {
    private final Random rnd;
    private final long[] ssrcs;
    private long count;

    public RtpFuzz(long seed, long... ssrcs) {
        this.rnd = new Random(seed);
        this.ssrcs = ssrcs;
    }

    public byte[] next() {
        int mode = (int) (count++ % 4);
        if (mode == 0) {
            byte[] d = new byte[rnd.nextInt(1500)];
            rnd.nextBytes(d);
            return d;
        }
        byte[] payload = new byte[1 + rnd.nextInt(1200)];
        rnd.nextBytes(payload);
        if (mode == 2) payload[0] = (byte) (0x10 | (rnd.nextBoolean() ? 0x80 : 0)); // VP8 start, maybe X
        if (mode == 3) payload[0] = (byte) (rnd.nextBoolean() ? 0x7c : 0x78);       // FU-A / STAP-A
        byte[] d = RtpPacket.build(96, rnd.nextBoolean(), rnd.nextInt(65536), rnd.nextLong() & 0xffffffffL,
                ssrcs[rnd.nextInt(ssrcs.length)], payload);
        if (rnd.nextInt(10) == 0) d[0] = (byte) (0x80 | rnd.nextInt(64)); // random P/X/CC bits
        return d;
    }
}
