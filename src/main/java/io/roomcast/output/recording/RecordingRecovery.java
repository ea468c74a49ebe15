package io.roomcast.output.recording;

import io.roomcast.encode.OutputConfig;
import io.roomcast.encode.Presets;
import io.roomcast.output.Manifest;
import io.roomcast.output.ManifestStore;
import io.roomcast.output.OutputStatus;
import io.roomcast.output.RecoveryThreads;
import io.roomcast.storage.ObjectStore;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * What a crash left of recordings, made playable: the parts uploaded while recording are joined and
 * finalized as if the recording had ended ({@link Finalizer}), on a thread of its own after start.
 */
final class RecordingRecovery {
    private static final Logger LOG = Logger.getLogger(RecordingRecovery.class.getName());

    private final ObjectStore store;
    private final ManifestStore manifests;
    private final Presets presets;
    private final Path dataDir;
    private final RecoveryThreads threads = new RecoveryThreads();

    RecordingRecovery(ObjectStore store, ManifestStore manifests, Presets presets, Path dataDir) {
        this.store = store;
        this.manifests = manifests;
        this.presets = presets;
        this.dataDir = dataDir;
    }

    /** Finalizes the interrupted recordings; then (alone on its store) aborts uploads nobody will complete. */
    void start(List<Manifest> interrupted, boolean abortUploads) {
        if (interrupted.isEmpty()) {
            if (abortUploads) store.abortIncompleteUploads("recordings/");
            return;
        }
        threads.start("roomcast-recover", () -> recoverAll(interrupted, abortUploads));
    }

    boolean await(long millis) throws InterruptedException {
        return threads.await(millis);
    }

    private void recoverAll(List<Manifest> recs, boolean abortUploads) {
        for (Manifest m : recs) {
            try {
                recover(m);
            } catch (Exception e) {
                LOG.log(Level.WARNING, "could not finalize the interrupted recording " + m.id(), e);
                manifests.put(m.json().copy().put("interrupted", true).put("status", OutputStatus.FAILED.wire())
                        .put("reason", "interrupted, and finalizing it failed: " + e.getMessage()));
            }
        }
        if (!abortUploads) return; // in a cluster another node may be uploading under the same prefix
        try {
            store.abortIncompleteUploads("recordings/").await(60, TimeUnit.SECONDS);
            for (Manifest m : recs) {
                String prefix = Recording.prefix(m.json().getString("awsDirPath"));
                if (!prefix.isEmpty()) store.abortIncompleteUploads(prefix + "recordings/").await(60, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            LOG.warning("could not abort incomplete uploads: " + e.getMessage());
        }
    }

    /** Concatenates the uploaded parts, rewrites them into an MP4, uploads it: what a crash left, playable. */
    private void recover(Manifest manifest) throws Exception {
        String id = manifest.id();
        JsonObject m = manifest.json().copy();
        String keyBase = m.getString("keyBase");
        List<String> parts = new ArrayList<>(store.listKeys(keyBase + Finalizer.PARTS).await(60, TimeUnit.SECONDS));
        parts.sort(null);
        OutputConfig cfg = presets.resolve(null, m.getJsonObject("config") == null ? null : configOverrides(m.getJsonObject("config")));
        m.put("interrupted", true);
        closeOpenPause(m);
        if ("track-recording".equals(m.getString("kind"))) {
            m.put("status", OutputStatus.FAILED.wire()).put("reason", "the node stopped before the track recording ended (it is uploaded when it ends)");
        } else if (parts.isEmpty()) {
            m.put("status", OutputStatus.FAILED.wire()).put("reason", "the node stopped before any of the recording was uploaded");
        } else {
            Path dir = Files.createDirectories(dataDir.resolve("recordings").resolve(id + "-recover"));
            Path joined = dir.resolve("joined.fmp4");
            try (OutputStream out = Files.newOutputStream(joined)) {
                for (String k : parts) {
                    Buffer b = store.get(k).await(60, TimeUnit.SECONDS);
                    if (b != null) out.write(b.getBytes());
                }
            }
            m.put("file", Finalizer.finish(store, joined, dir, keyBase, cfg, 0, parts.size()));
            m.put("status", OutputStatus.STOPPED.wire()).put("end", endOf(m))
                    .put("reason", "interrupted: finalized on restart from the parts uploaded before the node stopped");
            deleteFolder(dir);
            Path old = dataDir.resolve("recordings").resolve(id);
            if (Files.isDirectory(old)) deleteFolder(old);
            store.putJson(keyBase + ".json", m).await(60, TimeUnit.SECONDS);
        }
        manifests.put(m).await(60, TimeUnit.SECONDS);
        LOG.info(() -> "recording " + id + " interrupted by a stop: " + m.getString("status") + " (" + parts.size() + " parts)");
    }

    /** When the recording ended: as written, or (the stop did not say) when it was found interrupted. */
    private static String endOf(JsonObject m) {
        String end = m.getString("end");
        return end != null ? end : Instant.now().toString();
    }

    /** A pause the stop interrupted ends where the recording ended (it was paused until then). */
    private static void closeOpenPause(JsonObject m) {
        JsonArray pauses = m.getJsonArray("pauses");
        if (pauses == null) return;
        for (int i = 0; i < pauses.size(); i++) {
            JsonObject p = pauses.getJsonObject(i);
            if (p.getString("end") == null) pauses.set(i, p.copy().put("end", endOf(m)));
        }
    }

    private static void deleteFolder(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            files.forEach(f -> f.toFile().delete());
        }
        Files.deleteIfExists(dir);
    }

    /** The stored config of a manifest as overrides of the default preset. */
    private static JsonObject configOverrides(JsonObject stored) {
        JsonObject o = stored.copy();
        String res = o.getString("resolution");
        o.remove("resolution");
        o.remove("participantId");
        o.remove("watermarks"); // the file is made already; its images need not be there any more
        if (res != null) {
            int w = Integer.parseInt(res.substring(0, res.indexOf('x')));
            int h = Integer.parseInt(res.substring(res.indexOf('x') + 1));
            int big = Math.max(w, h);
            o.put("quality", big >= 1920 ? "high" : big >= 1280 ? "med" : "low").put("orientation", h > w ? "portrait" : "landscape");
        }
        return o;
    }
}
