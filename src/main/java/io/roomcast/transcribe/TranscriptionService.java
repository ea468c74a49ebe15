package io.roomcast.transcribe;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.roomcast.errors.Refusal;
import io.roomcast.events.Events;
import io.roomcast.ingest.MediaSink;
import io.roomcast.room.Ids;
import io.roomcast.room.Participant;
import io.roomcast.room.Room;
import io.roomcast.room.RoomService.TrackBinding;
import io.roomcast.room.RoomService;
import io.roomcast.room.Session;
import io.roomcast.storage.ObjectStore;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.vosk.LibVosk;
import org.vosk.LogLevel;
import org.vosk.Model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Live captions. Each room's decoded per-participant audio (never the mix) goes to one recognizer per
 * speaking participant. Recognition runs on {@code threads} recognition threads; each transcription
 * (and so each of its recognizers) belongs to one of them for its whole life. libvosk 0.3.45 was seen
 * to change words when two recognizers decode at the same moment in one process. Under this design it
 * did not: on ../shared/speech with 4 speakers at once, 1 and 2 recognition threads gave the same word
 * error rate (docs/benchmarks.md), so the default is 2 threads; {@code transcription.threads=1}
 * serializes all decoding. Voice-activity gating keeps silent participants from costing anything.
 * Captions are published on the event bus ({@value #ADDRESS}.{roomId}) for SSE and WebSocket
 * clients, kept per transcription, and stored in the object store when it ends.
 */
public final class TranscriptionService implements CaptionSource, MediaSink, RoomService.TrackListener {
    private static final Logger LOG = Logger.getLogger(TranscriptionService.class.getName());
    public static final String ADDRESS = "roomcast.captions";

    /** One running or finished live transcription of a session. */
    public static final class Live {
        final String id;
        final String roomId;
        final String sessionId;
        final String language;
        final String webhookUrl;
        final String start;
        volatile String end;
        volatile String status = "started";
        volatile String captionsPath;
        final List<Caption> finals = new ArrayList<>();
        final Map<String, SpeakerStream> speakers = new HashMap<>(); // recognition thread only
        final Model model;
        ThreadPoolExecutor thread;
        boolean closed; // recognition thread only
        long lastIdleCheck; // the room's media thread only

        Live(String id, String roomId, String sessionId, String language, String webhookUrl, Model model) {
            this.id = id;
            this.roomId = roomId;
            this.sessionId = sessionId;
            this.language = language;
            this.webhookUrl = webhookUrl;
            this.model = model;
            this.start = Instant.now().toString();
        }

        public JsonObject toJson() {
            return new JsonObject().put("id", id).put("roomId", roomId).put("sessionId", sessionId)
                    .put("language", language).put("status", status).put("start", start).put("end", end)
                    .put("captionsFilePath", captionsPath);
        }
    }

    private final Vertx vertx;
    private final RoomService rooms;
    private final Events events;
    private final ObjectStore store;
    private final Path modelsDir;
    private final String defaultLanguage;
    private final double vadThresholdDb;
    private final long hangoverMs;
    private final long partialIntervalMs;
    private final int maxCaptions;
    private final ThreadPoolExecutor[] recognition;
    private int nextThread;
    private final Map<String, Model> models = new ConcurrentHashMap<>();
    private final Map<String, Live> running = new ConcurrentHashMap<>();
    private final AtomicLong seq = new AtomicLong();
    private final Counter dropped;
    private final long maxLagNanos;
    private final AtomicLong skippedSamples = new AtomicLong();
    private final Counter partials;
    private final Counter finals;
    private final AtomicLong audioSamples = new AtomicLong();
    private final AtomicLong busyNanos = new AtomicLong();

    /** Config section {@code transcription}. */
    public record Settings(Path modelsDir, String defaultLanguage, double vadThresholdDb, long hangoverMs,
                           long partialIntervalMs, int maxCaptions, int maxQueuedFrames, long maxLagMs, int threads) {
    }

    public TranscriptionService(Vertx vertx, RoomService rooms, Events events, ObjectStore store, Settings settings,
                                MeterRegistry registry) {
        this.vertx = vertx;
        this.rooms = rooms;
        this.events = events;
        this.store = store;
        this.modelsDir = settings.modelsDir();
        this.defaultLanguage = settings.defaultLanguage();
        this.vadThresholdDb = settings.vadThresholdDb();
        this.hangoverMs = settings.hangoverMs();
        this.partialIntervalMs = settings.partialIntervalMs();
        this.maxCaptions = settings.maxCaptions();
        this.maxLagNanos = settings.maxLagMs() * 1_000_000L;
        int threads = settings.threads();
        int maxQueuedFrames = settings.maxQueuedFrames();
        this.recognition = new ThreadPoolExecutor[threads];
        for (int i = 0; i < threads; i++) {
            String name = "roomcast-asr-" + i;
            recognition[i] = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(maxQueuedFrames), r -> {
                Thread t = new Thread(r, name);
                t.setDaemon(true);
                return t;
            });
        }
        this.dropped = registry.counter("roomcast_asr_dropped_frames_total");
        this.partials = registry.counter("roomcast_captions_total", "type", "partial");
        this.finals = registry.counter("roomcast_captions_total", "type", "final");
        FunctionCounter.builder("roomcast_asr_audio_seconds_total", audioSamples,
                a -> a.get() / 16000.0).register(registry);
        FunctionCounter.builder("roomcast_asr_skipped_seconds_total", skippedSamples,
                s -> s.get() / 48000.0).register(registry);
        FunctionCounter.builder("roomcast_asr_busy_seconds_total", busyNanos,
                b -> b.get() / 1e9).register(registry);
        registry.gauge("roomcast_asr_queue_depth", recognition,
                all -> Arrays.stream(all).mapToInt(e -> e.getQueue().size()).sum());
        rooms.addListener(this);
        LibVosk.setLogLevel(LogLevel.WARNINGS);
    }

    /** The folder of a language's model, or 400 when there is none. */
    private Path modelDir(String language) {
        if (!Ids.isSafe(language)) throw Refusal.invalid("language must be a model name such as 'en'");
        Path dir = modelsDir.resolve(language);
        if (!Files.isDirectory(dir.resolve("am")) || !Files.isDirectory(dir.resolve("conf"))) {
            throw Refusal.invalid("unknown_language", "no speech model for language '" + language
                    + "' (looked for " + dir + ")");
        }
        return dir;
    }

    /** The shared model of a language (loaded once per node); blocks while loading: worker threads only. */
    Model modelNow(String language) {
        return model(language).await();
    }

    /** The default language's name. */
    String defaultLanguage() {
        return defaultLanguage;
    }

    /** Checks a language has a model (400 otherwise), without loading it. */
    void checkLanguage(String language) {
        modelDir(language);
    }

    /** Loads (once per node) and shares a language's model; blocking, so run on a worker. */
    private Future<Model> model(String language) {
        Path dir = modelDir(language);
        Model cached = models.get(language);
        if (cached != null) return Future.succeededFuture(cached);
        return vertx.executeBlocking(() -> models.computeIfAbsent(language, l -> {
            try {
                long t0 = System.nanoTime();
                Model m = new Model(dir.toString());
                LOG.info(() -> "speech model '" + l + "' loaded from " + dir + " in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
                return m;
            } catch (IOException e) {
                throw Refusal.internal("model_failed", "the speech model for '" + l + "' could not be loaded");
            }
        }));
    }

    public Future<Live> start(String roomId, String language, String webhookUrl) {
        Room room = rooms.room(roomId);
        String lang = language == null ? defaultLanguage : language;
        modelDir(lang);
        Session session = rooms.activeSession(roomId);
        if (session == null) throw Refusal.notFound("ongoing session of room", roomId);
        if (running.containsKey(roomId)) {
            throw Refusal.conflict("already_started", "live transcription already runs in room '" + roomId + "'");
        }
        return model(lang).map(model -> {
            Live live = new Live(Ids.hex24(), roomId, session.sessionId(), lang, webhookUrl, model);
            live.thread = pickThread();
            if (running.putIfAbsent(roomId, live) != null) {
                throw Refusal.conflict("already_started", "live transcription already runs in room '" + roomId + "'");
            }
            events.emit(room, "transcription-started", live.toJson(), webhookUrl);
            return live;
        });
    }

    /** The recognition thread running the fewest transcriptions (ties go round-robin). */
    private synchronized ThreadPoolExecutor pickThread() {
        ThreadPoolExecutor best = null;
        long bestLoad = Long.MAX_VALUE;
        for (int i = 0; i < recognition.length; i++) {
            ThreadPoolExecutor e = recognition[(nextThread + i) % recognition.length];
            long load = running.values().stream().filter(l -> l.thread == e).count();
            if (load < bestLoad) {
                best = e;
                bestLoad = load;
            }
        }
        nextThread = (nextThread + 1) % recognition.length;
        return best;
    }

    public Live running(String roomId) {
        return running.get(roomId);
    }

    /** Stops the room's transcription: flushes every speaker, stores the captions, then reports. */
    public Future<Live> stop(String roomId) {
        Room room = rooms.room(roomId);
        Live live = running.remove(roomId);
        if (live == null) throw Refusal.notFound("live transcription of room", roomId);
        live.status = "stopping";
        Promise<Void> flushed = Promise.promise();
        // Queued behind every frame already accepted, so what was said before the end is recognized.
        live.thread.execute(() -> {
            for (SpeakerStream s : live.speakers.values()) close(s, live);
            live.speakers.clear();
            live.closed = true;
            flushed.complete();
        });
        return flushed.future().compose(v -> {
            live.end = Instant.now().toString();
            String key = "transcripts/" + live.roomId + "/" + live.sessionId + "/live-" + live.id + ".json";
            JsonArray list = new JsonArray();
            synchronized (live.finals) {
                for (Caption c : live.finals) list.add(c.toJson());
            }
            JsonObject doc = live.toJson().put("captions", list);
            return store.putJson(key, doc).map(x -> {
                live.captionsPath = key;
                live.status = "stopped";
                events.emit(room, "transcription-stopped", live.toJson(), live.webhookUrl);
                return live;
            });
        });
    }

    private void close(SpeakerStream s, Live live) {
        try {
            s.close();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "closing a recognizer in room " + live.roomId, e);
        }
    }

    /** Final captions of the room's current transcription that end after {@code sinceMs}. */
    public List<Caption> captions(String roomId, long sinceMs) {
        Live live = running.get(roomId);
        List<Caption> out = new ArrayList<>();
        if (live == null) return out;
        synchronized (live.finals) {
            for (Caption c : live.finals) if (c.end() > sinceMs) out.add(c);
        }
        return out;
    }

    // ---- media in (room media threads) ----

    @Override
    public void audio(TrackBinding track, long sessionMicros, short[] pcm, int samples, boolean concealed) {
        Live live = running.get(track.roomId());
        if (live == null || !live.sessionId.equals(track.sessionId())) return;
        short[] copy = Arrays.copyOf(pcm, samples);
        String participantId = track.participantId();
        long queuedAt = System.nanoTime();
        try {
            live.thread.execute(() -> recognize(live, participantId, copy, sessionMicros, queuedAt));
        } catch (RejectedExecutionException e) {
            dropped.increment();
        }
    }

    // ---- recognition thread ----

    private void recognize(Live live, String participantId, short[] pcm, long micros, long queuedAt) {
        if (live.closed) return;
        SpeakerStream s = live.speakers.computeIfAbsent(participantId, p -> new SpeakerStream(p, live.model,
                vadThresholdDb, hangoverMs, 300, partialIntervalMs, (pid, text, type, start, end, words) ->
                publish(live, pid, text, type, start, end, words)));
        if (maxLagNanos > 0 && System.nanoTime() - queuedAt > maxLagNanos) {
            // Recognition is behind (the node is short of CPU): live captions a minute late help nobody, so
            // this audio is skipped until the thread is current again; the post-call transcript has it all.
            long busy = s.busyNanos;
            s.skip();
            busyNanos.addAndGet(s.busyNanos - busy);
            skippedSamples.addAndGet(pcm.length);
            return;
        }
        long busy = s.busyNanos;
        long fed = s.fedAudioSamples;
        try {
            s.audio(pcm, pcm.length, micros);
        } catch (Exception e) {
            LOG.log(Level.WARNING, "recognition failed for " + participantId + " in room " + live.roomId, e);
        }
        busyNanos.addAndGet(s.busyNanos - busy);
        audioSamples.addAndGet(s.fedAudioSamples - fed);
    }

    private void publish(Live live, String participantId, String text, String type, long start, long end, JsonArray words) {
        Participant p = rooms.participant(live.roomId, participantId);
        Caption c = new Caption(seq.incrementAndGet(), participantId, p == null ? participantId : p.name(), text, type,
                start, end, words, System.currentTimeMillis());
        if (c.isFinal()) {
            finals.increment();
            synchronized (live.finals) {
                if (live.finals.size() < maxCaptions) live.finals.add(c);
            }
        } else {
            partials.increment();
        }
        vertx.eventBus().publish(ADDRESS + "." + live.roomId, c.toJson());
    }

    @Override
    public void tick(String roomId, String sessionId, long nowMicros) {
        Live live = running.get(roomId);
        if (live == null || !live.sessionId.equals(sessionId)) return;
        long now = System.nanoTime();
        if (now - live.lastIdleCheck < 100_000_000L) return; // ten times a second is enough
        live.lastIdleCheck = now;
        try {
            live.thread.execute(() -> {
                if (live.closed) return;
                for (SpeakerStream s : live.speakers.values()) s.idle(now);
            });
        } catch (RejectedExecutionException e) {
            dropped.increment();
        }
    }

    // ---- lifecycle ----

    @Override
    public void bound(TrackBinding binding) {
    }

    @Override
    public void unbound(TrackBinding binding) {
    }

    @Override
    public void sessionEnded(String roomId, String sessionId) {
        Live live = running.get(roomId);
        if (live != null && live.sessionId.equals(sessionId)) {
            vertx.runOnContext(v -> stop(roomId).onFailure(e -> LOG.warning("stopping transcription of " + roomId + ": " + e)));
        }
    }

    public void close() {
        for (ThreadPoolExecutor e : recognition) e.shutdown();
        try {
            for (ThreadPoolExecutor e : recognition) e.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Live live : running.values()) for (SpeakerStream s : live.speakers.values()) s.close();
        for (Model m : models.values()) m.close();
        models.clear();
    }
}
