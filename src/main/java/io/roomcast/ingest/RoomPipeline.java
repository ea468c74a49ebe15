package io.roomcast.ingest;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The media thread of one session: every track receiver of the session is fed, drained and closed
 * here, never on the event loop. The thread runs on a 10 ms tick: the socket thread only appends
 * packets to a lock-free queue, and each tick takes them all, so a room costs about 100 wake-ups a
 * second however many packets arrive (wake-ups are dear on virtual machines). Work is bounded: past
 * {@code maxQueued} waiting packets new ones are refused (and counted by the caller).
 */
final class RoomPipeline {
    private static final Logger LOG = Logger.getLogger(RoomPipeline.class.getName());

    final String roomId;
    final String sessionId;
    private final ScheduledThreadPoolExecutor thread;
    private final Map<Long, TrackReceiver> receivers = new ConcurrentHashMap<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final ConcurrentLinkedQueue<Object[]> inbox = new ConcurrentLinkedQueue<>();
    private final int maxQueued;
    private final ScheduledFuture<?> ticker;

    private final long sessionStartUnixMicros;
    private final List<MediaSink> sinks;

    RoomPipeline(String roomId, String sessionId, long sessionStartUnixMicros, int maxQueued, List<MediaSink> sinks) {
        this.roomId = roomId;
        this.sessionId = sessionId;
        this.sessionStartUnixMicros = sessionStartUnixMicros;
        this.sinks = sinks;
        this.maxQueued = maxQueued;
        this.thread = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "roomcast-media-" + roomId);
            t.setDaemon(true);
            return t;
        });
        this.thread.setRemoveOnCancelPolicy(true);
        // Releases packets whose gap timed out even when no new packet arrives.
        this.ticker = thread.scheduleAtFixedRate(this::tick, 10, 10, TimeUnit.MILLISECONDS);
    }

    private void tick() {
        Object[] item;
        while ((item = inbox.poll()) != null) {
            queued.decrementAndGet();
            TrackReceiver r = (TrackReceiver) item[0];
            RtpPacket p = (RtpPacket) item[1];
            guarded(r, () -> r.packet(p));
        }
        long now = System.nanoTime();
        for (TrackReceiver r : receivers.values()) guarded(r, () -> r.drain(now));
        long sessionNow = System.currentTimeMillis() * 1000 - sessionStartUnixMicros;
        for (MediaSink s : sinks) {
            try {
                s.tick(roomId, sessionId, sessionNow);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "media stage failed on the tick of room " + roomId, e);
            }
        }
    }

    private static void guarded(TrackReceiver r, Runnable work) {
        try {
            work.run();
        } catch (RuntimeException e) {
            r.stats.decodeErrors.incrementAndGet();
            LOG.log(Level.WARNING, "media error on ssrc " + r.binding.track().ssrc() + "; the track goes on", e);
        }
    }

    void add(TrackReceiver r) {
        receivers.put(r.binding.track().ssrc(), r);
    }

    /** Removes the receiver and closes it on the media thread. */
    void remove(long ssrc) {
        TrackReceiver r = receivers.remove(ssrc);
        if (r != null) run(r::close);
    }

    int queued() {
        return queued.get();
    }

    /** Hands a packet to the media thread; false when the queue is full or the pipeline closed. */
    boolean offer(TrackReceiver r, RtpPacket p) {
        if (queued.incrementAndGet() > maxQueued) {
            queued.decrementAndGet();
            return false;
        }
        if (thread.isShutdown()) {
            queued.decrementAndGet();
            return false;
        }
        inbox.add(new Object[] {r, p});
        return true;
    }

    /** Runs {@code task} on the media thread; false when the pipeline is closed. */
    boolean run(Runnable task) {
        try {
            thread.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "media task failed in room " + roomId, e);
                }
            });
            return true;
        } catch (RejectedExecutionException e) {
            return false; // closed: nothing left to do
        }
    }

    /** Closes every receiver on the media thread, then stops it. */
    void close() {
        ticker.cancel(false);
        run(() -> {
            for (TrackReceiver r : receivers.values()) r.close();
            receivers.clear();
            for (MediaSink s : sinks) s.sessionClosed(roomId, sessionId);
        });
        thread.shutdown();
    }

    boolean awaitClosed(long millis) throws InterruptedException {
        return thread.awaitTermination(millis, TimeUnit.MILLISECONDS);
    }
}
