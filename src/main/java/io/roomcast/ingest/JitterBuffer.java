package io.roomcast.ingest;

/**
 * Per-track reordering buffer keyed by extended sequence number (wrap-around handled). Packets come
 * out in order; a gap is declared lost once the packet after it has waited {@code maxDelayNanos}, so
 * the delay a packet can add is bounded. Packets behind the playout point are late and dropped;
 * repeats are duplicates. Not thread-safe: one owner (the room's media thread).
 */
public final class JitterBuffer {
    /** What became of an inserted packet. */
    public enum Insert { ACCEPTED, DUPLICATE, LATE, RESYNC }

    /** Receives what {@link #drain} releases: packets in order, and the number lost before each. */
    public interface Output {
        void lost(long firstExtSeq, int count);

        void packet(RtpPacket p, long extSeq);
    }

    private final RtpPacket[] slots;
    private final long[] slotSeq;
    private final int mask;
    private final long maxDelayNanos;
    private boolean started;
    private long next;       // extended sequence number to release next
    private long highest;    // highest extended sequence number seen
    private int buffered;
    /** Consecutive packets that came in sequence with each other but behind the playout point. */
    private int lateRun;
    private long lastLateExt;
    private final RtpPacket[] lateHeld = new RtpPacket[RESTART_RUN];

    /** How many in-sequence packets behind the playout point make a restarted stream. */
    static final int RESTART_RUN = 4;
    /** How far behind the playout point a packet must be to count toward a restart. */
    static final int RESTART_DISTANCE = 64;

    public JitterBuffer(int capacityPow2, long maxDelayNanos) {
        if (Integer.bitCount(capacityPow2) != 1) throw new IllegalArgumentException("capacity must be a power of two");
        this.slots = new RtpPacket[capacityPow2];
        this.slotSeq = new long[capacityPow2];
        this.mask = capacityPow2 - 1;
        this.maxDelayNanos = maxDelayNanos;
    }

    /** Extends a 16-bit sequence number to 64 bits, closest to the highest seen so far. */
    long extend(int seq) {
        int delta = (short) (seq - (int) (highest & 0xffff));
        return highest + delta;
    }

    public Insert insert(RtpPacket p) {
        Insert result = Insert.ACCEPTED;
        long ext;
        if (!started) {
            started = true;
            ext = (1L << 32) + p.sequence; // far from zero, so backwards steps stay positive
            next = ext;
            highest = ext;
        } else {
            ext = extend(p.sequence);
            if (ext < next) {
                // A sender that restarted on the same SSRC (a re-created forwarder) brings a new sequence
                // base, which may land behind ours: packets that follow each other there are a new stream,
                // not lateness. A few in a row start the buffer afresh at them.
                // The run is held, so the new stream loses none of its first packets.
                // Only packets well behind count: a packet a little late is reordering, not a new stream.
                if (next - ext <= RESTART_DISTANCE) return Insert.LATE;
                lateRun = lateRun > 0 && ext == lastLateExt + 1 ? lateRun + 1 : 1;
                lastLateExt = ext;
                lateHeld[lateRun - 1] = p;
                if (lateRun < RESTART_RUN) return Insert.LATE;
                clear();
                next = ext - (RESTART_RUN - 1);
                highest = next;
                for (int k = 0; k < RESTART_RUN - 1; k++) put(lateHeld[k], next + k);
                result = Insert.RESYNC;
            } else if (ext - next >= slots.length) {
                // Too far ahead to wait for: the sender restarted or a long outage. Start over at this packet.
                clear();
                next = ext;
                result = Insert.RESYNC;
            }
        }
        lateRun = 0;
        int i = (int) (ext & mask);
        if (slots[i] != null && slotSeq[i] == ext) return Insert.DUPLICATE;
        put(p, ext);
        return result;
    }

    private void put(RtpPacket p, long ext) {
        int i = (int) (ext & mask);
        slots[i] = p;
        slotSeq[i] = ext;
        buffered++;
        if (ext > highest) highest = ext;
    }

    /** Forgets everything: the next packet starts the stream (a sender re-latched from a new source). */
    public void reset() {
        clear();
        started = false;
        lateRun = 0;
    }

    private void clear() {
        for (int i = 0; i < slots.length; i++) slots[i] = null;
        buffered = 0;
    }

    /** Releases every packet that is due at {@code nowNanos}. */
    public void drain(long nowNanos, Output out) {
        while (buffered > 0) {
            int i = (int) (next & mask);
            RtpPacket p = slots[i];
            if (p != null && slotSeq[i] == next) {
                slots[i] = null;
                buffered--;
                out.packet(p, next);
                next++;
                continue;
            }
            // A gap at `next`: wait for it until the first packet after it is maxDelay old.
            long first = next + 1;
            while (first <= highest) {
                int j = (int) (first & mask);
                if (slots[j] != null && slotSeq[j] == first) break;
                first++;
            }
            RtpPacket waiting = slots[(int) (first & mask)];
            if (nowNanos - waiting.arrivalNanos < maxDelayNanos) return;
            out.lost(next, (int) (first - next));
            next = first;
        }
    }

    public int buffered() {
        return buffered;
    }
}
