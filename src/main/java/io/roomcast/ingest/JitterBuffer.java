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
            if (ext < next) return Insert.LATE;
            if (ext - next >= slots.length) {
                // Too far ahead to wait for: the sender restarted or a long outage. Start over at this packet.
                clear();
                next = ext;
                result = Insert.RESYNC;
            }
        }
        int i = (int) (ext & mask);
        if (slots[i] != null && slotSeq[i] == ext) return Insert.DUPLICATE;
        slots[i] = p;
        slotSeq[i] = ext;
        buffered++;
        if (ext > highest) highest = ext;
        return result;
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
