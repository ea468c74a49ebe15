package io.roomcast.transcribe;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.roomcast.errors.Refusal;
import io.roomcast.events.Events;
import io.roomcast.room.Ids;
import io.roomcast.room.Room;
import io.roomcast.room.RoomService;
import io.roomcast.storage.ObjectStore;
import io.roomcast.storage.Persister;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.vosk.Model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Post-call transcription jobs: queued with bounded concurrency ({@code postCall.concurrency}
 * worker threads), persisted as {@code meta/transcriptions/{id}.json} so a restarted node resumes
 * what was queued or running. A job reads the recording back from the store: each participant's own
 * audio file (speaker labels), or the composite when those are missing; transcribes it with the
 * node's shared Vosk model (each recognizer on the job's thread), and stores JSON, TXT, SRT and VTT
 * under {@code transcripts/{roomId}/{sessionId}/{id}.*} before the job reports completed.
 */
public final class PostCallService {
    private static final Logger LOG = Logger.getLogger(PostCallService.class.getName());
    private static final String META = "meta/transcriptions/";

    private final RoomService rooms;
    private final Events events;
    private final ObjectStore store;
    private final Persister persister;
    private final TranscriptionService live;
    private final RecordingLookup recordings;
    private final Path workDir;
    private final ThreadPoolExecutor workers;
    private final Map<String, JsonObject> jobs = new ConcurrentHashMap<>();
    private final AtomicLong audioMillis = new AtomicLong();
    private final AtomicLong busyMillis = new AtomicLong();
    private volatile boolean closing;
    private final int filesInParallel;

    /** Config section {@code postCall} (and where its work files go). */
    public record Settings(Path workDir, int concurrency, int filesInParallel, int maxQueued) {
    }

    public PostCallService(RoomService rooms, Events events, ObjectStore store, TranscriptionService live,
                           RecordingLookup recordings, Settings settings, MeterRegistry registry) {
        int concurrency = settings.concurrency();
        this.filesInParallel = Math.max(1, settings.filesInParallel());
        this.rooms = rooms;
        this.events = events;
        this.store = store;
        this.persister = new Persister(store);
        this.live = live;
        this.recordings = recordings;
        this.workDir = settings.workDir();
        this.workers = new ThreadPoolExecutor(concurrency, concurrency, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(settings.maxQueued()), r -> {
            Thread t = new Thread(r, "roomcast-postcall");
            t.setDaemon(true);
            return t;
        });
        registry.gauge("roomcast_postcall_jobs_queued", workers, w -> w.getQueue().size());
        FunctionCounter.builder("roomcast_postcall_audio_seconds", audioMillis, a -> a.get() / 1000.0)
                .register(registry);
        FunctionCounter.builder("roomcast_postcall_busy_seconds", busyMillis, a -> a.get() / 1000.0)
                .register(registry);
    }

    /** A job for a recording (by id) or for a session's newest finished recording. */
    public JsonObject create(String recordingId, String roomId, String sessionId, String language, String webhookUrl) {
        JsonObject rec;
        if (recordingId != null) {
            rec = recordings.recording(recordingId);
        } else {
            rooms.room(roomId);
            rec = recordings.recordings(roomId, sessionId).stream()
                    .filter(r -> "stopped".equals(r.getString("status"))).findFirst()
                    .orElseThrow(() -> Refusal.conflict("no_recording",
                            "session " + sessionId + " of room " + roomId + " has no finished recording to transcribe"));
        }
        if (!"stopped".equals(rec.getString("status"))) {
            throw Refusal.conflict("recording_not_finished", "recording " + rec.getString("id") + " is " + rec.getString("status")
                    + "; a transcript is made of a finished recording");
        }
        String lang = language == null ? live.defaultLanguage() : language;
        live.checkLanguage(lang);
        String id = Ids.hex24();
        JsonObject job = new JsonObject().put("id", id).put("roomId", rec.getString("roomId"))
                .put("sessionId", rec.getString("sessionId")).put("recordingId", rec.getString("id"))
                .put("language", lang).put("status", "queued").put("createdAt", Instant.now().toString())
                .put("webhookUrl", webhookUrl);
        jobs.put(id, job);
        persist(job);
        JsonObject answer = view(job); // as accepted: a worker may take the job before this returns
        enqueue(job);
        return answer;
    }

    private void enqueue(JsonObject job) {
        try {
            workers.execute(() -> run(job));
        } catch (RejectedExecutionException e) {
            finish(job, "failed", "too many transcription jobs are waiting; try again later", null);
        }
    }

    public List<JsonObject> list(String roomId, String sessionId) {
        return jobs.values().stream()
                .filter(j -> roomId == null || roomId.equals(j.getString("roomId")))
                .filter(j -> sessionId == null || sessionId.equals(j.getString("sessionId")))
                .sorted(Comparator.comparing((JsonObject j) -> j.getString("createdAt")).reversed())
                .map(PostCallService::view).toList();
    }

    public JsonObject get(String id) {
        JsonObject j = Ids.isSafe(id) ? jobs.get(id) : null;
        if (j == null) throw Refusal.notFound("transcription", id);
        return view(j);
    }

    /** One format of a completed job, read from the store. */
    public Future<Buffer> download(String id, String format) {
        JsonObject j = jobs.get(id);
        JsonObject paths = j == null ? null : j.getJsonObject("transcriptionFilePaths");
        if (!"completed".equals(j == null ? null : j.getString("status")) || paths == null) {
            throw Refusal.conflict("not_completed", "transcription " + id + " is " + (j == null ? "unknown" : j.getString("status")));
        }
        return store.get(paths.getString(format));
    }

    private static JsonObject view(JsonObject job) {
        JsonObject v = job.copy();
        v.remove("webhookUrl");
        return v;
    }

    private volatile SessionMessages messages = (room, session) -> List.of();

    /** Where transcripts find the messages of a recording's session, to carry them beside the speech. */
    public void messagesFrom(SessionMessages source) {
        messages = source;
    }

    /** The messages sent while the recording ran, on its timeline; none when they cannot be read (said in the log). */
    private List<Transcript.Note> notes(JsonObject job, JsonObject rec) {
        try {
            String start = rec.getString("start");
            if (start == null) return List.of();
            String end = rec.getString("end");
            String asked = rec.getString("createdAt");
            return TranscriptNotes.of(messages.messages(job.getString("roomId"), job.getString("sessionId")), Instant.parse(start),
                    asked == null ? null : Instant.parse(asked), end == null ? null : Instant.parse(end), rec.getJsonArray("pauses"));
        } catch (Exception e) {
            LOG.warning("transcript " + job.getString("id") + ": the session's messages could not be read, left out: " + e.getMessage());
            return List.of();
        }
    }

    private void run(JsonObject job) {
        String id = job.getString("id");
        long t0 = System.nanoTime();
        Path dir = workDir.resolve(id);
        try {
            job.put("status", "processing").put("start", Instant.now().toString());
            persist(job);
            JsonObject rec = recordings.recording(job.getString("recordingId"));
            Model model = live.modelNow(job.getString("language"));
            Files.createDirectories(dir);
            Map<String, String> names = new HashMap<>();
            try {
                var session = rooms.session(job.getString("sessionId"));
                for (var p : session.participants()) names.put(p.participantId(), p.name());
            } catch (RuntimeException e) {
                LOG.fine("no session record for names: " + e.getMessage());
            }
            List<Transcript.Segment> segments = new ArrayList<>();
            double audio = 0;
            double fed = 0;
            JsonArray voices = rec.getJsonArray("participantFiles");
            String source;
            if (voices != null && !voices.isEmpty()) {
                source = "participants";
                // Participants' files are independent: up to filesInParallel at once, each file's
                // recognizer created, fed and closed on the one thread that transcribes it.
                List<java.util.concurrent.Future<FileTranscriber.Result>> results = new ArrayList<>();
                ExecutorService pool = Executors.newFixedThreadPool(
                        Math.min(filesInParallel, voices.size()), r -> {
                            Thread t = new Thread(r, "roomcast-postcall-file");
                            t.setDaemon(true);
                            return t;
                        });
                try {
                    for (int i = 0; i < voices.size(); i++) {
                        JsonObject v = voices.getJsonObject(i);
                        String pid = v.getString("participantId");
                        Path f = fetch(v.getString("filePath"), dir.resolve(pid + ".webm"));
                        String name = names.getOrDefault(pid, pid);
                        results.add(pool.submit(() -> new FileTranscriber(model, pid, name).transcribe(f)));
                    }
                    for (var fr : results) {
                        FileTranscriber.Result r = fr.get();
                        segments.addAll(r.segments());
                        audio += r.audioSeconds();
                        fed += r.fedSeconds();
                    }
                } finally {
                    pool.shutdownNow();
                }
            } else {
                source = "composite";
                JsonObject file = rec.getJsonObject("file");
                if (file == null) throw new IllegalStateException("the recording has no file");
                Path f = fetch(file.getString("filePath"), dir.resolve("composite"));
                FileTranscriber.Result r = new FileTranscriber(model, null, "Speaker").transcribe(f);
                segments.addAll(r.segments());
                audio = r.audioSeconds();
                fed = r.fedSeconds();
            }
            segments.sort(Comparator.comparingDouble(Transcript.Segment::start));
            List<Transcript.Note> notes = notes(job, rec);
            JsonObject header = new JsonObject().put("id", id).put("roomId", job.getString("roomId"))
                    .put("sessionId", job.getString("sessionId")).put("recordingId", job.getString("recordingId"))
                    .put("language", job.getString("language")).put("source", source);
            JsonObject paths = new JsonObject();
            String base = "transcripts/" + job.getString("roomId") + "/" + job.getString("sessionId") + "/" + id;
            for (String format : Transcript.FORMATS) {
                String key = base + "." + format;
                store.put(key, Buffer.buffer(Transcript.render(format, header, segments, notes)), Transcript.contentType(format))
                        .await(60, TimeUnit.SECONDS);
                paths.put(format, key);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            audioMillis.addAndGet((long) (audio * 1000));
            busyMillis.addAndGet((long) (seconds * 1000));
            job.put("source", source).put("segments", segments.size()).put("audioSeconds", Transcript.round(audio))
                    .put("recognizedSeconds", Transcript.round(fed)).put("processingSeconds", Transcript.round(seconds));
            finish(job, "completed", null, paths);
        } catch (Exception e) {
            if (closing) {
                // Stopped by the node's shutdown: left queued/processing in the store, resumed on restart.
                LOG.info(() -> "transcription " + id + " interrupted by the shutdown; it resumes when the node starts again");
                return;
            }
            LOG.log(Level.WARNING, "transcription " + id + " failed", e);
            finish(job, "failed", e.getMessage() == null ? e.toString() : e.getMessage(), null);
        } finally {
            try (var files = Files.list(dir)) {
                files.forEach(f -> f.toFile().delete());
                Files.deleteIfExists(dir);
            } catch (Exception ignored) {
                // nothing was downloaded
            }
        }
    }

    private Path fetch(String key, Path to) throws Exception {
        Buffer b = store.get(key).await(120, TimeUnit.SECONDS);
        if (b == null) throw new IllegalStateException(key + " is not in the store");
        Files.write(to, b.getBytes());
        return to;
    }

    private void finish(JsonObject job, String status, String error, JsonObject paths) {
        job.put("status", status).put("end", Instant.now().toString()).put("error", error);
        if (paths != null) job.put("transcriptionFilePaths", paths);
        persist(job).onComplete(ar -> {
            Room room;
            try {
                room = rooms.room(job.getString("roomId"));
            } catch (RuntimeException e) {
                return;
            }
            events.emit(room, status.equals("completed") ? "post-transcription-completed" : "post-transcription-failed",
                    view(job), job.getString("webhookUrl"));
        });
    }

    private Future<Void> persist(JsonObject job) {
        return persister.write(META + job.getString("id") + ".json", job.copy());
    }

    /** Loads every job; those a stop interrupted (queued or processing) run again. */
    public Future<Void> load(Predicate<String> roomIsHere) {
        return loadJobs(roomIsHere);
    }

    /** The room moved to another node: its finished jobs are listed there now. */
    public void forgetRoom(String roomId) {
        jobs.values().removeIf(j -> roomId.equals(j.getString("roomId"))
                && ("completed".equals(j.getString("status")) || "failed".equals(j.getString("status"))));
    }

    /** After taking over a lost node's rooms: their jobs, finished or not, are this node's now. */
    public void resumeRooms(Set<String> roomIds) {
        try {
            loadJobs(roomIds::contains).await(120, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warning("could not resume the transcription jobs of taken-over rooms: " + e);
        }
    }

    private Future<Void> loadJobs(Predicate<String> roomIsHere) {
        return store.listKeys(META).compose(keys -> {
            List<Future<JsonObject>> all = new ArrayList<>();
            for (String k : keys) all.add(store.getJson(k));
            return Future.all(all).map(x -> {
                List<JsonObject> resume = new ArrayList<>();
                for (Future<JsonObject> f : all) {
                    JsonObject j = f.result();
                    if (j == null || j.getString("id") == null || !roomIsHere.test(j.getString("roomId"))) continue;
                    jobs.put(j.getString("id"), j);
                    if ("queued".equals(j.getString("status")) || "processing".equals(j.getString("status"))) resume.add(j);
                }
                resume.sort(Comparator.comparing((JsonObject j) -> j.getString("createdAt")));
                for (JsonObject j : resume) {
                    LOG.info(() -> "resuming transcription " + j.getString("id") + " (" + j.getString("status") + " when the node stopped)");
                    j.put("status", "queued").put("resumed", true);
                    enqueue(j);
                }
                return null;
            });
        });
    }

    public void close() {
        closing = true;
        workers.shutdownNow();
    }
}
