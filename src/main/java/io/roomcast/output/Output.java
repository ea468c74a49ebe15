package io.roomcast.output;

import io.roomcast.compose.Composed;
import io.roomcast.compose.StillSink;
import io.roomcast.encode.EncodeGroup;
import io.roomcast.encode.Muxer;
import io.roomcast.encode.OutputConfig;
import io.roomcast.encode.Packet;
import io.roomcast.storage.ObjectStore;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
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
public abstract class Output implements Composed {
    private static final Logger LOG = Logger.getLogger(Output.class.getName());
    /** About 40 s of packets at 25 fps + AAC: room for a slow disk or a reconnect, bounded. */
    private static final int QUEUE = 3000;

    /** Told of every status change, and of notable events that are not one (on the output's thread). */
    public interface Listener {
        void changed(Output output, OutputStatus status);

        /** Something the user should hear about while the status stays the same (a webhook type). */
        void event(Output output, String webhookType);
    }

    protected final String id;
    protected final String roomId;
    protected final String sessionId;
    protected final OutputConfig config;
    protected final Listener listener;
    protected final ThreadPoolExecutor thread;
    protected final AtomicLong packetsDropped = new AtomicLong();
    private volatile OutputStatus status = OutputStatus.STARTING;
    private volatile String reason;
    private final String createdAt = Instant.now().toString();
    private volatile String startedAt;
    private volatile String endedAt;
    private volatile long sessionStartUnixMicros;
    protected EncodeGroup group;
    protected Muxer.Streams streams;
    private volatile boolean ending;
    /** Stills of the composite every interval, when the start asked for them (null otherwise). */
    private Thumbnails thumbnails;

    protected Output(String kind, String id, String roomId, String sessionId, OutputConfig config, Listener listener) {
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

    public final String id() {
        return id;
    }

    @Override
    public final String roomId() {
        return roomId;
    }

    @Override
    public final String sessionId() {
        return sessionId;
    }

    @Override
    public final OutputConfig config() {
        return config;
    }

    public final OutputStatus status() {
        return status;
    }

    public final String reason() {
        return reason;
    }

    public final String startedAt() {
        return startedAt;
    }

    public final String endedAt() {
        return endedAt;
    }

    /** Set by {@link Outputs#launch} before the output joins its encoder. */
    final void placedInSession(long sessionStartUnixMicros) {
        this.sessionStartUnixMicros = sessionStartUnixMicros;
    }

    /** The wall-clock instant a point of the session's media timeline shows. */
    protected final Instant sessionInstant(long sessionMicros) {
        return Instant.EPOCH.plus(sessionStartUnixMicros + sessionMicros, ChronoUnit.MICROS);
    }

    /** The point of the session's media timeline that shows at {@code at}. */
    protected final long sessionMicrosAt(Instant at) {
        return ChronoUnit.MICROS.between(Instant.EPOCH, at) - sessionStartUnixMicros;
    }

    /** Keeps thumbnails under {@code keyBase}; from the constructor, before the output joins its encoder. */
    protected final void keepThumbnails(Thumbnails.Options options, ObjectStore store, String keyBase) {
        if (options != null) thumbnails = new Thumbnails(options, id, store, keyBase, this::sessionInstant);
    }

    @Override
    public final StillSink stills() {
        return thumbnails;
    }

    /** Stores the thumbnails in hand and takes no more (on the output's thread, when it finishes). */
    protected final void finishThumbnails() {
        if (thumbnails != null) thumbnails.finish();
    }

    /** Started, with {@code start} the instant the output's first picture shows rather than when it was written. */
    protected final void setStarted(Instant firstFrameShows) {
        if (startedAt == null) startedAt = firstFrameShows.toString();
        setStatus(OutputStatus.STARTED, null);
    }

    /** Packets this output's queue had no room for. */
    public final long packetsDropped() {
        return packetsDropped.get();
    }

    /** The metric label of this kind of output: recording, rtmp or hls. */
    public abstract String kind();

    /** Joins the encoder (on the room's media thread, while the group is open). */
    @Override
    public final void begin(EncodeGroup g) {
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

    protected abstract void onPacket(Packet p) throws Exception;

    /** Writes what is queued, then finishes (trailer, uploads) on the output's thread; idempotent. */
    @Override
    public final void end() {
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

    @Override
    public final boolean ending() {
        return ending;
    }

    protected abstract void finish() throws Exception;

    protected final void setStatus(OutputStatus next, String why) {
        OutputStatus previous = status;
        if (previous == next && Objects.equals(why, reason)) return;
        status = next;
        reason = why;
        if (next == OutputStatus.STARTED && startedAt == null) startedAt = Instant.now().toString();
        if (next.terminal() && endedAt == null) endedAt = Instant.now().toString();
        try {
            listener.changed(this, next);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "status listener failed", e);
        }
    }

    /** Changes the reason while the status stays (a warning); listeners hear it via {@link Listener#event}. */
    protected final void setReason(String why) {
        reason = why;
    }

    public final void fail(String why) {
        LOG.warning("output " + id + " of room " + roomId + " failed: " + why);
        setStatus(OutputStatus.FAILED, why);
    }

    public final boolean finished() {
        return status.terminal();
    }

    public final boolean awaitFinished(long millis) throws InterruptedException {
        return thread.awaitTermination(millis, TimeUnit.MILLISECONDS);
    }

    /** The manifest: what the store keeps of this output and the API answers from. */
    public JsonObject toJson() {
        return new JsonObject().put("id", id).put("roomId", roomId).put("sessionId", sessionId).put("status", status.wire())
                .put("reason", reason).put("createdAt", createdAt).put("start", startedAt).put("end", endedAt).put("config", config == null ? null : config.toJson())
                .put("packetsDropped", packetsDropped.get()).put("thumbnails", thumbnails == null ? null : thumbnails.toJson());
    }
}
