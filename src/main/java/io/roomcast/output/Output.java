package io.roomcast.output;

import io.roomcast.encode.EncodeGroup;
import io.roomcast.encode.Muxer;
import io.roomcast.encode.OutputConfig;
import io.roomcast.encode.Packet;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One thing the pipeline feeds (a recording, one RTMP destination, an HLS stream). It receives the
 * shared encoder's packets into its own bounded queue and muxes them on its own thread, so a slow or
 * failing output never holds up the encoder or another output. Subclasses own their muxers and
 * close them on that thread.
 */
abstract class Output implements EncodeGroup.Sink {
    private static final Logger LOG = Logger.getLogger(Output.class.getName());
    /** About 40 s of packets at 25 fps + AAC: room for a slow disk or a reconnect, bounded. */
    private static final int QUEUE = 3000;

    /** Told of every status change, and of notable events that are not one (on the output's thread). */
    interface Listener {
        void changed(Output output, String status, String previous);

        /** Something the user should hear about while the status stays the same (a webhook type). */
        void event(Output output, String webhookType);
    }

    final String id;
    final String roomId;
    final String sessionId;
    final OutputConfig config;
    final Listener listener;
    final ThreadPoolExecutor thread;
    final AtomicLong packetsDropped = new AtomicLong();
    volatile String status = "starting";
    volatile String reason;
    final String createdAt = Instant.now().toString();
    volatile String startedAt;
    volatile String endedAt;
    EncodeGroup group;
    Muxer.Streams streams;
    private volatile boolean ending;

    Output(String kind, String id, String roomId, String sessionId, OutputConfig config, Listener listener) {
        this.id = id;
        this.roomId = roomId;
        this.sessionId = sessionId;
        this.config = config;
        this.listener = listener;
        this.thread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(QUEUE), r -> {
            Thread t = new Thread(r, "roomcast-" + kind + "-" + id);
            t.setDaemon(true);
            return t;
        });
    }

    /** Joins the encoder (on the room's media thread, while the group is open). */
    final void begin(EncodeGroup g) {
        group = g;
        streams = new Muxer.Streams(g);
        g.attach(this);
    }

    @Override
    public final void packet(Packet p) {
        if (ending) return;
        try {
            thread.execute(() -> {
                try {
                    onPacket(p);
                } catch (Exception e) {
                    LOG.log(Level.WARNING, "output " + id + " failed on a packet", e);
                }
            });
        } catch (RejectedExecutionException e) {
            packetsDropped.incrementAndGet();
        }
    }

    abstract void onPacket(Packet p) throws Exception;

    /** Writes what is queued, then finishes (trailer, uploads) on the output's thread; idempotent. */
    final void end() {
        synchronized (this) {
            if (ending) return;
            ending = true;
        }
        try {
            thread.execute(() -> {
                try {
                    finish();
                } catch (Exception e) {
                    LOG.log(Level.WARNING, "output " + id + " failed to finish", e);
                    fail("finishing failed: " + e.getMessage());
                } finally {
                    if (streams != null) streams.close();
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.warning("output " + id + " could not queue its end");
        }
        thread.shutdown();
    }

    boolean ending() {
        return ending;
    }

    abstract void finish() throws Exception;

    final void setStatus(String next, String why) {
        String previous = status;
        if (previous.equals(next) && java.util.Objects.equals(why, reason)) return;
        status = next;
        reason = why;
        if (next.equals("started") && startedAt == null) startedAt = Instant.now().toString();
        if ((next.equals("stopped") || next.equals("failed")) && endedAt == null) endedAt = Instant.now().toString();
        try {
            listener.changed(this, next, previous);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "status listener failed", e);
        }
    }

    /** Changes the reason while the status stays (a warning); listeners hear it via {@link Listener#event}. */
    final void setReason(String why) {
        reason = why;
    }

    final void fail(String why) {
        LOG.warning("output " + id + " of room " + roomId + " failed: " + why);
        setStatus("failed", why);
    }

    boolean finished() {
        return status.equals("stopped") || status.equals("failed");
    }

    boolean awaitFinished(long millis) throws InterruptedException {
        return thread.awaitTermination(millis, TimeUnit.MILLISECONDS);
    }

    JsonObject toJson() {
        return new JsonObject().put("id", id).put("roomId", roomId).put("sessionId", sessionId).put("status", status)
                .put("reason", reason).put("createdAt", createdAt).put("start", startedAt).put("end", endedAt).put("config", config.toJson())
                .put("packetsDropped", packetsDropped.get());
    }
}
