package io.roomcast.output.recording;

import io.roomcast.encode.OutputConfig;
import io.roomcast.encode.Remux;
import io.roomcast.storage.ObjectStore;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The end of a recording, whether it ended in order or a crash interrupted it: the fragmented MP4
 * is rewritten into an ordinary one (index first), uploaded next to its manifest, and the part
 * objects uploaded while it recorded are removed. Blocking; on the recording's or recovery's thread.
 */
final class Finalizer {
    private static final Logger LOG = Logger.getLogger(Finalizer.class.getName());
    static final String PARTS = ".parts/";

    private Finalizer() {
    }

    /** The key of the n-th part object uploaded while recording. */
    static String partKey(String keyBase, int n) {
        return keyBase + PARTS + String.format("%06d", n);
    }

    /**
     * Remuxes {@code fragmented} into {@code dir}, uploads it as {@code keyBase.mp4} (or .m4a), removes
     * the parts; the manifest's {@code file}. The duration is the file's, or {@code fallbackMicros}
     * when it has none.
     */
    static JsonObject finish(ObjectStore store, Path fragmented, Path dir, String keyBase, OutputConfig config,
                             long fallbackMicros, int parts) throws Exception {
        String ext = config.audioOnly() ? ".m4a" : ".mp4";
        Path mp4 = finalFile(dir, config);
        Remux.Info info = Remux.toMp4(fragmented, mp4);
        String key = keyBase + ext;
        store.putFile(key, mp4, config.audioOnly() ? "audio/mp4" : "video/mp4");
        JsonObject file = fileJson(key, Files.size(mp4), config, info.durationMicros() > 0 ? info.durationMicros() : fallbackMicros);
        deleteParts(store, keyBase, parts);
        return file;
    }

    /** Where {@link #finish} leaves the finished file (until the recording's folder is removed). */
    static Path finalFile(Path dir, OutputConfig config) {
        return dir.resolve("final" + (config.audioOnly() ? ".m4a" : ".mp4"));
    }

    static JsonObject fileJson(String key, long size, OutputConfig config, long durationMicros) {
        return new JsonObject().put("filePath", key).put("size", size)
                .put("type", config.audioOnly() ? "audio/mp4" : "video/mp4")
                .put("meta", meta(config.audioOnly() ? 0 : config.width(), config.audioOnly() ? 0 : config.height(),
                        config.audioOnly() ? "m4a" : "mp4", durationMicros));
    }

    /** A file's {@code meta} as VideoSDK gives it: {@code resolution {width, height}} (null without video), format, duration. */
    static JsonObject meta(int width, int height, String format, long durationMicros) {
        return new JsonObject().put("resolution", width == 0 ? null : new JsonObject().put("width", width).put("height", height))
                .put("format", format).put("duration", Math.round(durationMicros / 1000.0) / 1000.0);
    }

    private static void deleteParts(ObjectStore store, String keyBase, int count) {
        try {
            List<String> keys = store.listKeys(keyBase + PARTS).await(60, TimeUnit.SECONDS);
            for (String k : keys) store.delete(k).await(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warning("could not remove the " + count + " part objects of " + keyBase + ": " + e.getMessage());
        }
    }
}
