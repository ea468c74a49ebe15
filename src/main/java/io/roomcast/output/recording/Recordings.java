package io.roomcast.output.recording;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.roomcast.encode.OutputConfig;
import io.roomcast.errors.Refusal;
import io.roomcast.output.Manifest;
import io.roomcast.output.ManifestStore;
import io.roomcast.output.Output;
import io.roomcast.output.OutputStatus;
import io.roomcast.output.Outputs;
import io.roomcast.room.Ids;
import io.roomcast.room.Session;
import io.roomcast.storage.ObjectStore;
import io.roomcast.transcribe.RecordingLookup;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
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

    /** Starts a recording of the room with a plan from {@link Outputs#resolve}. */
    public JsonObject start(String roomId, OutputConfig cfg, RecordingOptions options) {
        Session s = outputs.admit(roomId, Recording.class, running ->
                Refusal.conflict("already_recording", "room " + roomId + " is already being recorded (" + running.id() + ")"));
        Recording r;
        try {
            r = new Recording(Ids.hex24(), roomId, s.sessionId(), cfg, this, store, outputs.settings().dataDir(),
                    options, outputs.settings().maxSpillBytesPerRecording(), outputs.settings().outbound());
        } catch (IOException e) {
            throw Refusal.internal("storage_error", "cannot prepare the local recording folder");
        }
        Manifest m = keep(r);
        emit(r, "recording-starting", m);
        outputs.launch(r, s, true);
        return RecordingManifest.api(Manifest.of(r.toJson()), store);
    }

    public JsonObject end(String roomId) {
        outputs.requireRoom(roomId);
        Recording r = outputs.find(Recording.class, roomId, o -> !o.ending());
        if (r == null) throw Refusal.conflict("not_recording", "room " + roomId + " has no running recording");
        outputs.stop(r);
        return RecordingManifest.api(Manifest.of(r.toJson().put("status", OutputStatus.STOPPING.wire())), store);
    }

    @Override
    public List<JsonObject> recordings(String roomId, String sessionId) {
        return manifests.list(roomId, sessionId).stream().map(m -> RecordingManifest.api(m, store)).toList();
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

    private Manifest keep(Recording r) {
        Manifest m = Manifest.of(r.toJson());
        manifests.put(m.json());
        return m;
    }

    private void emit(Recording r, String type, Manifest m) {
        outputs.emit(r.roomId(), r.webhookUrl, type, RecordingManifest.webhook(m, store));
    }

    @Override
    public void event(Output output, String webhookType) {
        Recording r = (Recording) output;
        emit(r, webhookType, keep(r));
    }

    @Override
    public void changed(Output output, OutputStatus status) {
        Recording r = (Recording) output;
        Manifest m = keep(r);
        switch (status) {
            case STARTED -> emit(r, "recording-started", m);
            case STOPPING -> emit(r, "recording-stopping", m);
            case STOPPED -> {
                emit(r, "recording-stopped", m);
                store.putJson(r.keyBase + ".json", m.json());
                if (r.transcribe) {
                    try {
                        onTranscribe.accept(RecordingManifest.api(m, store));
                    } catch (RuntimeException e) {
                        LOG.log(Level.WARNING, "could not queue the transcription of recording " + r.id(), e);
                    }
                }
            }
            case FAILED -> emit(r, "recording-failed", m);
            default -> {
            }
        }
        outputs.settled(r, status);
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
