package io.roomcast.output.recording;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.roomcast.encode.OutputConfig;
import io.roomcast.errors.Refusal;
import io.roomcast.ingest.MediaSink;
import io.roomcast.output.Manifest;
import io.roomcast.output.ManifestStore;
import io.roomcast.output.Output;
import io.roomcast.output.OutputStatus;
import io.roomcast.output.Outputs;
import io.roomcast.room.Ids;
import io.roomcast.room.Session;
import io.roomcast.room.Track;
import io.roomcast.storage.ObjectStore;
import io.roomcast.transcribe.RecordingLookup;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Cloud recordings: started and ended through the API (one per room at a time), listed with those
 * of earlier runs, announced by webhook on each status change, and finalized from their uploaded
 * parts when a crash interrupted them ({@link RecordingRecovery}).
 *
 * <p>Threads: the API calls come on the event loop; status changes come on each recording's thread.
 */
public final class Recordings implements RecordingLookup, Output.Listener {
    private static final Logger LOG = Logger.getLogger(Recordings.class.getName());

    private final Outputs outputs;
    private final ObjectStore store;
    private final ManifestStore manifests;
    private final RecordingRecovery recovery;
    private final TrackCopies copies = new TrackCopies();
    private volatile Consumer<JsonObject> onTranscribe = j -> { };

    public Recordings(Outputs outputs, ObjectStore store, ManifestStore manifests, MeterRegistry registry) {
        this.outputs = outputs;
        this.store = store;
        this.manifests = manifests;
        this.recovery = new RecordingRecovery(store, manifests, outputs.presets(), outputs.settings().dataDir());
        FunctionCounter.builder("roomcast_recording_bytes_uploaded", this,
                s -> outputs.running(Recording.class).mapToLong(r -> r.bytesUploaded.get()).sum()).register(registry);
    }

    /** Called with a recording (API shape) that finished and asked for {@code transcription.enabled}. */
    public void onRecordingToTranscribe(Consumer<JsonObject> c) {
        onTranscribe = c;
    }

    /** The media sink that feeds track recordings (added to ingest while wiring). */
    public MediaSink trackCopies() {
        return copies;
    }

    /** Starts a recording of the room with a plan from {@link Outputs#resolve}. */
    public JsonObject start(String roomId, OutputConfig cfg, RecordingOptions options) {
        Session s = outputs.admit(roomId, Recording.class, r -> r.participantId() == null, running ->
                Refusal.conflict("already_recording", "room " + roomId + " is already being recorded (" + running.id() + ")"));
        return begin(roomId, s, cfg, options);
    }

    /** A participant recording: the one participant's camera (or placeholder) and voice, encoded as the plan says. */
    public JsonObject startParticipant(String roomId, String participantId, OutputConfig cfg, RecordingOptions options) {
        Session s = admitParticipant(roomId, participantId);
        outputs.present(s, participantId);
        return begin(roomId, s, cfg.of(participantId), options);
    }

    /** One participant recording (MP4 or WebM) per participant at a time. */
    private Session admitParticipant(String roomId, String participantId) {
        Function<Output, Refusal> busy = running -> Refusal.conflict("already_recording", "participant " + participantId
                + " of room " + roomId + " is already being recorded (" + running.id() + ")");
        outputs.admit(roomId, TrackRecording.class, t -> t.participantRecording() && t.participantId().equals(participantId), busy::apply);
        return outputs.admit(roomId, Recording.class, r -> participantId.equals(r.participantId()), busy::apply);
    }

    private JsonObject begin(String roomId, Session s, OutputConfig cfg, RecordingOptions options) {
        Recording r;
        try {
            r = new Recording(Ids.hex24(), roomId, s.sessionId(), cfg, this, store, outputs.settings().dataDir(),
                    options, outputs.settings().maxSpillBytesPerRecording(), outputs.settings().outbound());
        } catch (IOException e) {
            throw Refusal.internal("storage_error", "cannot prepare the local recording folder");
        }
        Manifest m = keep(r);
        emit(r, "starting", m);
        outputs.launch(r, s, true);
        return RecordingManifest.api(Manifest.of(r.toJson()), store);
    }

    /**
     * A participant recording in WebM ({@code fileFormat: webm}, VideoSDK's): the participant's VP8
     * camera and Opus microphone copied as they were encoded, into one file, at almost no CPU.
     */
    public JsonObject startParticipantCopy(String roomId, String participantId, RecordingOptions options) {
        Session s = admitParticipant(roomId, participantId);
        List<Track> tracks = outputs.present(s, participantId).tracks();
        boolean vp8 = tracks.stream().anyMatch(t -> TrackKind.VIDEO.is(t) && "vp8".equals(t.codec()));
        boolean otherCamera = !vp8 && tracks.stream().anyMatch(TrackKind.VIDEO::is);
        boolean mic = tracks.stream().anyMatch(TrackKind.AUDIO::is);
        if (otherCamera) {
            throw Refusal.invalid("unsupported_codec", "fileFormat: the camera of participant " + participantId
                    + " is not VP8 and WebM carries no H.264; use fileFormat mp4");
        }
        if (!vp8 && !mic) throw Refusal.conflict("no_track", "participant " + participantId + " has no camera or microphone track");
        List<TrackKind> kinds = new ArrayList<>();
        if (vp8) kinds.add(TrackKind.VIDEO);
        if (mic) kinds.add(TrackKind.AUDIO);
        return copy(roomId, s, participantId, kinds, true, options);
    }

    /**
     * A track recording: the participant's track of that kind copied as it was encoded into WebM.
     * VP8 video and Opus audio only (WebM carries no H.264).
     */
    public JsonObject startTrack(String roomId, String participantId, TrackKind kind, RecordingOptions options) {
        Session s = outputs.admit(roomId, TrackRecording.class, t -> t.participantId().equals(participantId) && !t.participantRecording() && t.trackKind() == kind,
                running -> Refusal.conflict("already_recording", "the " + kind.wire() + " track of participant " + participantId
                        + " is already being recorded (" + running.id() + ")"));
        Track track = outputs.present(s, participantId).tracks().stream().filter(kind::is).findFirst().orElseThrow(() ->
                Refusal.conflict("no_track", "participant " + participantId + " has no " + kind.wire() + " track"));
        if (kind != TrackKind.AUDIO && !"vp8".equals(track.codec())) {
            throw Refusal.invalid("unsupported_codec", "kind: the participant's " + kind.wire() + " track is " + track.codec()
                    + "; only VP8 video (and Opus audio) can be copied into WebM without re-encoding");
        }
        return copy(roomId, s, participantId, List.of(kind), false, options);
    }

    private JsonObject copy(String roomId, Session s, String participantId, List<TrackKind> kinds, boolean participant,
                            RecordingOptions options) {
        TrackRecording r;
        try {
            r = new TrackRecording(Ids.hex24(), roomId, s.sessionId(), participantId, kinds, participant, this, store,
                    outputs.settings().dataDir(), options);
        } catch (IOException e) {
            throw Refusal.internal("storage_error", "cannot prepare the local recording folder");
        }
        emitTrack(r, "starting", keep(r));
        copies.add(r);
        outputs.launchCopy(r, s);
        return RecordingManifest.api(Manifest.of(r.toJson()), store);
    }

    public JsonObject end(String roomId) {
        return stop(roomId, Recording.class, r -> r.participantId() == null, "room " + roomId + " has no running recording");
    }

    /**
     * Pauses the room's recording: what happens from now until the resume is left out of the file,
     * which stays one continuous MP4. 409 when none runs, it has not started yet, or it is paused.
     */
    public JsonObject pause(String roomId) {
        Recording r = running(roomId);
        if (r.status() != OutputStatus.STARTED || !r.pause()) {
            throw Refusal.conflict(r.status() == OutputStatus.PAUSED ? "already_paused" : "recording_not_started",
                    "recording " + r.id() + " is " + r.status().wire() + (r.status() == OutputStatus.PAUSED ? "" : "; it can be paused once it is started"));
        }
        return RecordingManifest.api(Manifest.of(r.toJson().put("status", OutputStatus.PAUSED.wire())), store);
    }

    /** Resumes the room's paused recording; 409 when it is not paused. */
    public JsonObject resume(String roomId) {
        Recording r = running(roomId);
        if (r.status() != OutputStatus.PAUSED || !r.resume()) {
            throw Refusal.conflict("not_paused", "recording " + r.id() + " is " + r.status().wire() + ", not paused");
        }
        return RecordingManifest.api(Manifest.of(r.toJson().put("status", OutputStatus.STARTED.wire())), store);
    }

    private Recording running(String roomId) {
        outputs.requireRoom(roomId);
        Recording r = outputs.find(Recording.class, roomId, o -> !o.ending() && o.participantId() == null);
        if (r == null) throw Refusal.conflict("not_recording", "room " + roomId + " has no running recording");
        return r;
    }

    /** Ends the participant's recording, MP4 or WebM (one of them runs at a time). */
    public JsonObject endParticipant(String roomId, String participantId) {
        String none = "participant " + participantId + " of room " + roomId + " has no running recording";
        outputs.requireRoom(roomId);
        if (outputs.find(Recording.class, roomId, r -> !r.ending() && participantId.equals(r.participantId())) != null) {
            return stop(roomId, Recording.class, r -> participantId.equals(r.participantId()), none);
        }
        return stop(roomId, TrackRecording.class, t -> t.participantRecording() && t.participantId().equals(participantId), none);
    }

    public JsonObject endTrack(String roomId, String participantId, TrackKind kind) {
        return stop(roomId, TrackRecording.class,
                t -> t.participantId().equals(participantId) && !t.participantRecording() && t.trackKind() == kind, "the " + kind.wire() + " track of participant " + participantId + " has no running recording");
    }

    private <T extends Output> JsonObject stop(String roomId, Class<T> kind, Predicate<T> which, String none) {
        outputs.requireRoom(roomId);
        T r = outputs.find(kind, roomId, o -> !o.ending() && which.test(o));
        if (r == null) throw Refusal.conflict("not_recording", none);
        outputs.stop(r);
        return RecordingManifest.api(Manifest.of(r.toJson().put("status", OutputStatus.STOPPING.wire())), store);
    }

    /** The room's composite recordings. */
    @Override
    public List<JsonObject> recordings(String roomId, String sessionId) {
        return list(roomId, sessionId, m -> "recording".equals(m.json().getString("kind", "recording"))
                && m.json().getString("participantId") == null);
    }

    /** Participant recordings ({@code participantId} null: everyone's). */
    public List<JsonObject> participantRecordings(String roomId, String sessionId, String participantId) {
        return list(roomId, sessionId, m -> m.json().getBoolean("participantRecording", false)
                && (participantId == null || participantId.equals(m.json().getString("participantId"))));
    }

    /** Track recordings ({@code participantId} null: everyone's). */
    public List<JsonObject> trackRecordings(String roomId, String sessionId, String participantId) {
        return list(roomId, sessionId, m -> "track-recording".equals(m.json().getString("kind"))
                && !m.json().getBoolean("participantRecording", false) && (participantId == null || participantId.equals(m.json().getString("participantId"))));
    }

    private List<JsonObject> list(String roomId, String sessionId, Predicate<Manifest> which) {
        return manifests.list(roomId, sessionId).stream().filter(which).map(m -> RecordingManifest.api(m, store)).toList();
    }

    @Override
    public JsonObject recording(String id) {
        Manifest m = manifests.get(id);
        if (m != null && outputs.running(id) instanceof Recording r) m = Manifest.of(r.toJson()); // live figures (spill)
        if (m == null) throw Refusal.notFound("recording", id);
        return RecordingManifest.api(m, store);
    }

    /**
     * Removes a finished recording's objects (the file, its per-participant voices, its JSON) and
     * keeps its manifest as a tombstone, status {@code deleted}, in the listing. A running recording
     * is refused: end it first. Deleting again answers the tombstone.
     */
    public Future<JsonObject> delete(String id) {
        Manifest m = manifests.get(id);
        if (m == null) throw Refusal.notFound("recording", id);
        if (m.status() == OutputStatus.DELETED) return Future.succeededFuture(RecordingManifest.api(m, store));
        if (outputs.running(id) != null || !m.status().terminal()) {
            throw Refusal.conflict("recording_running", "recording " + id + " is " + m.status().wire() + ": end it before deleting it");
        }
        String keyBase = m.json().getString("keyBase");
        Future<Void> removed = keyBase == null ? Future.succeededFuture()
                : store.listKeys(keyBase).compose(keys -> Future.all(keys.stream().map(store::delete).toList()).mapEmpty());
        return removed.compose(v -> {
            JsonObject tomb = m.json().copy().put("status", OutputStatus.DELETED.wire()).put("deletedAt", Instant.now().toString())
                    .putNull("file").put("participantFiles", new JsonArray());
            return manifests.put(tomb).map(x -> RecordingManifest.api(Manifest.of(tomb), store));
        });
    }

    private Manifest keep(Output r) {
        Manifest m = Manifest.of(r.toJson());
        manifests.put(m.json());
        return m;
    }

    /** A status webhook: {@code recording-*}, or {@code participant-recording-*} for a participant's. */
    private void emit(Recording r, String status, Manifest m) {
        String type = (r.participantId() == null ? "recording-" : "participant-recording-") + status;
        outputs.emit(r.roomId(), r.webhookUrl, type, RecordingManifest.webhook(m, store));
    }

    private void emitTrack(TrackRecording r, String status, Manifest m) {
        String type = (r.participantRecording() ? "participant-recording-" : "participant-track-recording-") + status;
        outputs.emit(r.roomId(), r.webhookUrl, type, RecordingManifest.webhook(m, store));
    }

    @Override
    public void event(Output output, String webhookType) {
        Recording r = (Recording) output;
        outputs.emit(r.roomId(), r.webhookUrl, webhookType, RecordingManifest.webhook(keep(r), store));
    }

    @Override
    public void changed(Output output, OutputStatus status) {
        if (output instanceof TrackRecording t) {
            trackChanged(t, status);
            return;
        }
        Recording r = (Recording) output;
        Manifest m = keep(r);
        switch (status) {
            case STARTED -> emit(r, r.everPaused() ? "resumed" : "started", m);
            case PAUSED -> emit(r, "paused", m);
            case STOPPING -> emit(r, "stopping", m);
            case STOPPED -> {
                emit(r, "stopped", m);
                store.putJson(r.keyBase + ".json", m.json());
                if (r.transcribe) {
                    try {
                        onTranscribe.accept(RecordingManifest.api(m, store));
                    } catch (RuntimeException e) {
                        LOG.log(Level.WARNING, "could not queue the transcription of recording " + r.id(), e);
                    }
                }
            }
            case FAILED -> emit(r, "failed", m);
            default -> {
            }
        }
        outputs.settled(r, status);
    }

    private void trackChanged(TrackRecording t, OutputStatus status) {
        Manifest m = keep(t);
        switch (status) {
            case STARTED, STOPPING, STOPPED, FAILED -> emitTrack(t, status.wire(), m);
            default -> {
            }
        }
        if (status == OutputStatus.STOPPED) store.putJson(t.keyBase + ".json", m.json());
        if (status.terminal()) copies.remove(t);
        outputs.settled(t, status);
    }

    /** Reads the stored manifests of rooms here; finalizes recordings a crash interrupted (on a thread of its own). */
    public Future<Void> load(Predicate<String> roomIsHere, boolean abortUploads) {
        return manifests.load(roomIsHere, which -> recover(which, abortUploads));
    }

    /** Blocking: the manifests of taken-over rooms are read, and what was running there is finalized. */
    public void recoverRooms(Set<String> roomIds) throws Exception {
        manifests.loadRooms(roomIds, which -> recover(which, false));
    }

    /** Finalizes the unfinished recordings (that {@code which} names) not running here. */
    private void recover(Predicate<Manifest> which, boolean abortUploads) {
        List<Manifest> interrupted = manifests.all().stream()
                .filter(m -> which.test(m) && !m.status().terminal() && outputs.running(m.id()) == null).toList();
        recovery.start(interrupted, abortUploads);
    }

    public void forgetRoom(String roomId) {
        manifests.forgetFinished(roomId);
    }

    /** Waits (bounded) for restart recovery to finish; for tests and orderly shutdown. */
    public boolean awaitRecovery(long millis) throws InterruptedException {
        return recovery.await(millis);
    }
}
