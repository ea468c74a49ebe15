package io.roomcast.output;

import io.roomcast.compose.Still;
import io.roomcast.compose.StillSink;
import io.roomcast.storage.ObjectStore;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;
import java.util.logging.Logger;

/**
 * An output's thumbnails ({@code config.thumbnails}): every {@code intervalSeconds} a still of the
 * composite the output encodes, made into a JPEG and uploaded next to the output
 * ({@code {keyBase}thumbnails/000001.jpg}) as soon as it is taken, and listed with the instant it
 * shows. The stills come from pictures composed anyway; the JPEGs are made on a thread of their own
 * with a short queue, so a slow store skips thumbnails (counted) and never holds up the media thread.
 */
public final class Thumbnails implements StillSink {
    private static final Logger LOG = Logger.getLogger(Thumbnails.class.getName());
    /** Thumbnails listed per output at most (a day at one a minute; more would make the manifest heavy). */
    public static final int MAX = 1440 * 4;

    /** What a start asks: a still every {@code intervalSeconds}, {@code width} pixels wide. */
    public record Options(int intervalSeconds, int width) {
    }

    /** One thumbnail made: the instant its picture shows and its key in the store. */
    private record Thumb(Instant at, String filePath) {
    }

    private final Options options;
    private final String outputId;
    private final ObjectStore store;
    private final String keyBase;
    private final LongFunction<Instant> instantOf;
    private final ThreadPoolExecutor writer;
    private final List<Thumb> made = new CopyOnWriteArrayList<>();
    private final AtomicLong skipped = new AtomicLong();
    private volatile long next = Long.MIN_VALUE;
    private int taken; // media thread

    /** {@code instantOf}: the wall-clock instant a point of the session's timeline shows. */
    public Thumbnails(Options options, String outputId, ObjectStore store, String keyBase, LongFunction<Instant> instantOf) {
        this.options = options;
        this.outputId = outputId;
        this.store = store;
        this.keyBase = keyBase;
        this.instantOf = instantOf;
        this.writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(4), r -> {
            Thread t = new Thread(r, "roomcast-thumbnails-" + outputId);
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public long nextStillMicros() {
        return next;
    }

    @Override
    public int stillWidth() {
        return options.width();
    }

    @Override
    public void still(Still still) {
        next = still.sessionMicros() + options.intervalSeconds() * 1_000_000L;
        if (taken >= MAX) return;
        int n = ++taken;
        try {
            writer.execute(() -> write(n, still));
        } catch (RejectedExecutionException e) {
            skipped.incrementAndGet();
        }
    }

    private void write(int n, Still still) {
        String key = String.format("%sthumbnails/%06d.jpg", keyBase, n);
        // A thumbnail is not worth holding the next ones up for: three tries, then it is skipped.
        for (int attempt = 1; attempt <= 3; attempt++) {
            try {
                store.put(key, Buffer.buffer(still.jpeg()), "image/jpeg").await(10, TimeUnit.SECONDS);
                made.add(new Thumb(instantOf.apply(still.sessionMicros()), key));
                return;
            } catch (Exception e) {
                LOG.warning("thumbnail " + n + " of " + outputId + " not stored (" + e.getMessage() + ")");
            }
        }
        skipped.incrementAndGet();
    }

    /** Waits (bounded) for the thumbnails in hand to be stored, then takes no more; idempotent. */
    public void finish() {
        next = Long.MAX_VALUE;
        writer.shutdown();
        try {
            if (!writer.awaitTermination(30, TimeUnit.SECONDS)) LOG.warning("thumbnails of " + outputId + " still being stored");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** As the manifest keeps them: {@code [{at, filePath}]}, oldest first. */
    public JsonArray toJson() {
        JsonArray a = new JsonArray();
        made.stream().sorted((x, y) -> x.at().compareTo(y.at()))
                .forEach(t -> a.add(new JsonObject().put("at", t.at().toString()).put("filePath", t.filePath())));
        return a;
    }

    /** Thumbnails the store or the queue could not take. */
    public long skipped() {
        return skipped.get();
    }

    /** A manifest's thumbnails as the API answers them: each with a fresh presigned {@code fileUrl}. */
    public static JsonArray api(JsonArray stored, ObjectStore store) {
        JsonArray a = new JsonArray();
        if (stored == null) return a;
        for (int i = 0; i < stored.size(); i++) {
            JsonObject t = stored.getJsonObject(i);
            a.add(t.copy().put("fileUrl", store.presignGet(t.getString("filePath"))));
        }
        return a;
    }
}
