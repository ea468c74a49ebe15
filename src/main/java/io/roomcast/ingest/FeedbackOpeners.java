package io.roomcast.ingest;

import io.vertx.core.net.SocketAddress;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Iterator;

/**
 * Where a forwarder reads RTCP feedback when it sends no RTCP of its own. Janus's {@code rtp_forward}
 * with an {@code rtcp_port} sends no sender reports, only an empty 12-byte RTP header with SSRC 0 from
 * the socket it reads feedback on (to open NATs), right when the forwarder starts. A video track that
 * starts from the same host within {@link #WINDOW_MILLIS} of such a packet takes that address for its
 * keyframe requests. The pairing is a guess when several forwarders start at once; the keyframe
 * measurement then finds requests unanswered and keeps that camera decoded. Called by the socket thread, and by media threads after a restart.
 */
final class FeedbackOpeners {
    static final long WINDOW_MILLIS = 3000;
    private static final int MAX = 64;

    private record Opener(SocketAddress from, long atMillis) {
    }

    private final ArrayDeque<Opener> unclaimed = new ArrayDeque<>();

    /** An opener packet came: a video track of that host that started just before takes it, else it waits. */
    synchronized void opened(SocketAddress from, Collection<TrackReceiver> receivers) {
        long now = System.currentTimeMillis();
        for (TrackReceiver r : receivers) {
            SocketAddress source = r.source;
            if (r.video && r.rtcpSource == null && source != null && source.host().equals(from.host())
                    && !source.equals(from) && now - r.startedAtMillis() <= WINDOW_MILLIS) {
                r.rtcpSource = from;
                return;
            }
        }
        for (Opener o : unclaimed) if (o.from().equals(from)) return;
        if (unclaimed.size() >= MAX) unclaimed.removeFirst();
        unclaimed.addLast(new Opener(from, now));
    }

    /**
     * A video track just latched, restarted, or found its requests unanswered (a re-created forwarder has
     * a new feedback socket): takes the oldest recent opener from its host, if any.
     */
    synchronized void claim(TrackReceiver r) {
        long now = System.currentTimeMillis();
        for (Iterator<Opener> it = unclaimed.iterator(); it.hasNext(); ) {
            Opener o = it.next();
            if (now - o.atMillis() > WINDOW_MILLIS) {
                it.remove();
            } else if (o.from().host().equals(r.source.host()) && !o.from().equals(r.source) && !o.from().equals(r.rtcpSource)) {
                it.remove();
                r.rtcpSource = o.from();
                return;
            }
        }
    }
}
