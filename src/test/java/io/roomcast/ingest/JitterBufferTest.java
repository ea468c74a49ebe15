package io.roomcast.ingest;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reorder, loss, duplication and wrap-around through the jitter buffer, on a simulated clock. */
class JitterBufferTest {
    static final long MS = 1_000_000L;

    static final class Collect implements JitterBuffer.Output {
        final List<Integer> seqs = new ArrayList<>();
        int lost;

        @Override
        public void lost(long first, int count) {
            lost += count;
        }

        @Override
        public void packet(RtpPacket p, long ext) {
            seqs.add(p.sequence);
        }
    }

    static RtpPacket packet(int seq, long arrival) throws Exception {
        byte[] d = RtpPacket.build(96, false, seq & 0xffff, seq * 960L, 1, new byte[] {1});
        return RtpPacket.parse(d, d.length, arrival);
    }

    @Test
    void reordersWithinTheDelayAndWrapsAround() throws Exception {
        JitterBuffer jb = new JitterBuffer(256, 100 * MS);
        Collect out = new Collect();
        int[] order = {65533, 65535, 65534, 1, 0, 2};
        long t = 0;
        for (int s : order) {
            jb.insert(packet(s, t));
            jb.drain(t, out);
            t += 5 * MS;
        }
        assertEquals(List.of(65533, 65534, 65535, 0, 1, 2), out.seqs);
        assertEquals(0, out.lost);
    }

    @Test
    void gapIsDeclaredLostOnlyAfterTheDelay() throws Exception {
        JitterBuffer jb = new JitterBuffer(256, 100 * MS);
        Collect out = new Collect();
        jb.insert(packet(10, 0));
        jb.insert(packet(12, 0));
        jb.drain(50 * MS, out);
        assertEquals(List.of(10), out.seqs, "12 waits for 11");
        jb.drain(100 * MS, out);
        assertEquals(List.of(10, 12), out.seqs, "after 100 ms 11 is given up");
        assertEquals(1, out.lost);
        assertEquals(JitterBuffer.Insert.LATE, jb.insert(packet(11, 120 * MS)), "11 arriving now is late");
        assertEquals(JitterBuffer.Insert.LATE, jb.insert(packet(10, 120 * MS)), "a copy of a played packet is late");
        jb.insert(packet(13, 130 * MS));
        assertEquals(JitterBuffer.Insert.DUPLICATE, jb.insert(packet(13, 131 * MS)));
    }

    @Test
    void farJumpResynchronises() throws Exception {
        JitterBuffer jb = new JitterBuffer(64, 100 * MS);
        Collect out = new Collect();
        jb.insert(packet(1, 0));
        jb.drain(0, out);
        assertEquals(JitterBuffer.Insert.RESYNC, jb.insert(packet(30000, 10 * MS)));
        jb.drain(10 * MS, out);
        assertEquals(List.of(1, 30000), out.seqs);
    }

    /** A forwarder re-created on the same SSRC restarts its sequence numbers behind ours: a new stream, none of it lost. */
    @Test
    void aNewSequenceBaseBehindThePlayoutPointStartsAfreshWithoutLosingItsFirstPackets() throws Exception {
        JitterBuffer jb = new JitterBuffer(256, 100 * MS);
        Collect out = new Collect();
        long t = 0;
        for (int s = 20000; s < 20050; s++, t += 20 * MS) {
            jb.insert(packet(s, t));
            jb.drain(t, out);
        }
        List<JitterBuffer.Insert> results = new ArrayList<>();
        for (int s = 5000; s < 5050; s++, t += 20 * MS) {
            results.add(jb.insert(packet(s, t)));
            jb.drain(t, out);
        }
        jb.drain(t + 200 * MS, out);
        assertEquals(JitterBuffer.Insert.RESYNC, results.get(JitterBuffer.RESTART_RUN - 1));
        assertEquals(100, out.seqs.size(), "all 50 packets of each stream played");
        assertEquals(5000, out.seqs.get(50), "the new stream from its first packet");
        assertEquals(5049, out.seqs.get(99));
        assertEquals(0, out.lost);
        // Reordering by a few packets is still lateness, not a restart.
        for (int k = 0; k < 8; k++) assertEquals(JitterBuffer.Insert.LATE, jb.insert(packet(5040 + k, t)));
    }

    /** 5% loss, 2% reorder by up to 3 packets, 1% duplicates over 20 000 packets: accounted for exactly. */
    @Test
    void simulatedNetwork() throws Exception {
        Random rnd = new Random(42);
        JitterBuffer jb = new JitterBuffer(512, 100 * MS);
        Collect out = new Collect();
        List<Integer> sent = new ArrayList<>();
        List<long[]> schedule = new ArrayList<>(); // {seq, arrival}
        int total = 20_000;
        int dropped = 0;
        for (int i = 0; i < total; i++) {
            long arrival = i * 20 * MS + (long) (rnd.nextDouble() * 10 * MS);
            if (rnd.nextDouble() < 0.05) {
                dropped++;
                continue;
            }
            if (rnd.nextDouble() < 0.02) arrival += 1 + rnd.nextInt(3) * 20 * MS; // arrives after later packets
            schedule.add(new long[] {i, arrival});
            sent.add(i);
            if (rnd.nextDouble() < 0.01) schedule.add(new long[] {i, arrival + 5 * MS});
        }
        schedule.sort((a, b) -> Long.compare(a[1], b[1]));
        int duplicates = 0;
        for (long[] e : schedule) {
            if (jb.insert(packet((int) e[0], e[1])) == JitterBuffer.Insert.DUPLICATE) duplicates++;
            jb.drain(e[1], out);
        }
        jb.drain(Long.MAX_VALUE / 2, out);
        assertEquals(sent, unwrap(out.seqs), "every packet sent comes out once, in order");
        assertEquals(dropped - (total - 1 - sent.get(sent.size() - 1)), out.lost, "gaps counted as lost");
        assertTrue(duplicates > 0);
    }

    static List<Integer> unwrap(List<Integer> seqs) {
        List<Integer> out = new ArrayList<>();
        int base = 0;
        int prev = -1;
        for (int s : seqs) {
            if (prev >= 0 && s < prev - 30000) base += 65536;
            out.add(base + s);
            prev = s;
        }
        return out;
    }

    @Test
    void boundedDelayEvenWhenTheSenderStops() throws Exception {
        JitterBuffer jb = new JitterBuffer(256, 100 * MS);
        Collect out = new Collect();
        for (int s : new int[] {0, 1, 5, 4, 3}) jb.insert(packet(s, 0)); // 2 never comes
        jb.drain(99 * MS, out);
        assertEquals(List.of(0, 1), out.seqs);
        jb.drain(100 * MS, out);
        assertEquals(List.of(0, 1, 3, 4, 5), out.seqs);
        assertEquals(0, jb.buffered());
    }
}
