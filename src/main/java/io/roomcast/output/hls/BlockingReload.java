package io.roomcast.output.hls;

import io.roomcast.errors.Refusal;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * LL-HLS blocking requests (RFC 8216bis 6.2.5.2): a playlist reload with {@code _HLS_msn} and
 * {@code _HLS_part}, or a hinted part, waits until the stream has that segment or part, answered
 * the moment it is made. A wait ends after {@code timeoutMs} (503), and a request too far ahead of
 * the live edge is a 400 at once. Any thread.
 */
final class BlockingReload {
    /** The RFC's Advance Part Limit. */
    static final int ADVANCE_PARTS = 3;
    private static final int MAX_WAITING = 1000;

    /** The live edge: segments before {@code openSeq} are complete; {@code openSeq} has {@code parts} parts so far. */
    record Edge(int openSeq, int parts) {
        static final Edge NONE = new Edge(0, 0);

        /** Whether segment {@code msn} (part {@code part}, or the whole segment when negative) exists. */
        boolean has(int msn, int part) {
            return part < 0 ? msn < openSeq : msn < openSeq || msn == openSeq && part < parts;
        }
    }

    private record Waiter(int msn, int part, Promise<Void> promise, long timer) {
    }

    private final Vertx vertx;
    private final long timeoutMs;
    private final List<Waiter> waiting = new ArrayList<>();
    private volatile Edge edge = Edge.NONE;
    private boolean closed;

    BlockingReload(Vertx vertx, long timeoutMs) {
        this.vertx = vertx;
        this.timeoutMs = timeoutMs;
    }

    Edge edge() {
        return edge;
    }

    /** Done when segment {@code msn} (part {@code part}; -1 = the whole segment) is there. */
    Future<Void> await(int msn, int part, int partsPerSegment) {
        Edge e = edge;
        if (e.has(msn, part)) return Future.succeededFuture();
        // How many parts ahead of the last one made the request is, counting whole segments as parts.
        long ahead = (long) (msn - e.openSeq()) * partsPerSegment + (part < 0 ? partsPerSegment : part) - (e.parts() - 1);
        if (msn > e.openSeq() + 1 || ahead > ADVANCE_PARTS + partsPerSegment) {
            return Future.failedFuture(Refusal.invalid("too_far_ahead", "_HLS_msn=" + msn + (part < 0 ? "" : " _HLS_part=" + part)
                    + " is beyond what the stream makes next (segment " + e.openSeq() + ", part " + e.parts() + ")"));
        }
        synchronized (this) {
            if (closed) return Future.failedFuture(Refusal.conflict("not_streaming", "the stream ended"));
            if (waiting.size() >= MAX_WAITING) return Future.failedFuture(Refusal.limit("too_many_waiting", "too many blocked requests on this stream"));
            if (edge.has(msn, part)) return Future.succeededFuture();
            Promise<Void> p = Promise.promise();
            long timer = vertx.setTimer(timeoutMs, t -> {
                synchronized (this) {
                    waiting.removeIf(w -> w.promise == p);
                }
                p.tryFail(Refusal.unavailable("not_ready", "segment " + msn + (part < 0 ? "" : " part " + part)
                        + " was not made within " + timeoutMs + " ms"));
            });
            waiting.add(new Waiter(msn, part, p, timer));
            return p.future();
        }
    }

    /** The stream made a part or closed a segment: the requests it answers go out. */
    void advanced(Edge now) {
        edge = now;
        List<Waiter> ready = new ArrayList<>();
        synchronized (this) {
            for (Iterator<Waiter> it = waiting.iterator(); it.hasNext(); ) {
                Waiter w = it.next();
                if (now.has(w.msn, w.part)) {
                    ready.add(w);
                    it.remove();
                }
            }
        }
        for (Waiter w : ready) {
            vertx.cancelTimer(w.timer);
            w.promise.tryComplete();
        }
    }

    /** The stream ended: waiting requests are answered with what there is. */
    void close() {
        List<Waiter> all;
        synchronized (this) {
            closed = true;
            all = new ArrayList<>(waiting);
            waiting.clear();
        }
        for (Waiter w : all) {
            vertx.cancelTimer(w.timer);
            w.promise.tryComplete();
        }
    }
}
