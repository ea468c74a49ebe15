package io.roomcast.ingest;

import io.vertx.core.net.SocketAddress;

import java.util.List;

/**
 * Taking back a sender that restarted from a new port (a process restarted, a forwarder re-created, a
 * NAT rebinding) without a new join: a new source on the latched host that sends packets in sequence
 * becomes the source once the latched one has been quiet for {@code relatchAfterMillis} and it has
 * sent {@link #RELATCH_PACKETS}. Its packets are held meanwhile (at most {@link #RELATCH_HOLD}) and then
 * all accepted, so a quick restart loses only its own gap. Another host never takes a track over.
 * Socket thread only.
 */
final class SourceLatch {
    /** Packets in sequence that a new source on the latched host sends before it is taken as the sender. */
    static final int RELATCH_PACKETS = 3;
    /** Packets of a candidate source held while the latched one may still speak (~2.5 s of audio, ~1 s of video). */
    static final int RELATCH_HOLD = 128;

    /** What the ingest does with the outcome. */
    interface Handler {
        void accept(TrackReceiver r, RtpPacket p);

        void refused(TrackReceiver r, int packets);

        /** {@code r.source} is the new source now. */
        void relatched(TrackReceiver r, SocketAddress old);
    }

    private final long relatchAfterMillis;
    private final Handler handler;

    SourceLatch(long relatchAfterMillis, Handler handler) {
        this.relatchAfterMillis = relatchAfterMillis;
        this.handler = handler;
    }

    /** A packet of the track from another address than its source. True when it was held (or taken). */
    boolean offer(TrackReceiver r, SocketAddress from, RtpPacket p) {
        if (!from.host().equals(r.source.host())) return false;
        List<RtpPacket> held = r.candidatePackets;
        boolean inSequence = from.equals(r.candidate) && !held.isEmpty()
                && p.sequence == ((held.get(held.size() - 1).sequence + 1) & 0xffff);
        if (!inSequence) {
            refuseHeld(r);
            r.candidate = from;
        }
        held.add(p);
        if (held.size() > RELATCH_HOLD) {
            held.remove(0);
            handler.refused(r, 1);
        }
        boolean quiet = System.currentTimeMillis() - r.stats.lastPacketMillis() >= relatchAfterMillis;
        if (!quiet || held.size() < RELATCH_PACKETS) return true;
        SocketAddress old = r.source;
        r.source = from;
        r.rtcpSource = null;
        r.candidate = null;
        r.stats.sourceChanges.incrementAndGet();
        handler.relatched(r, old);
        List<RtpPacket> packets = List.copyOf(held);
        held.clear();
        for (RtpPacket q : packets) handler.accept(r, q);
        return true;
    }

    /** The latched source spoke again: whoever else sent was not a restart. */
    void latchedSourceSpoke(TrackReceiver r) {
        if (r.candidate == null) return;
        r.candidate = null;
        refuseHeld(r);
    }

    /** Packets held for a candidate source that did not become the source are refused after all. */
    private void refuseHeld(TrackReceiver r) {
        int n = r.candidatePackets.size();
        if (n == 0) return;
        r.candidatePackets.clear();
        handler.refused(r, n);
    }
}
