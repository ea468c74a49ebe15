package io.roomcast.output.recording;

import io.roomcast.output.Manifest;
import io.roomcast.output.Thumbnails;
import io.roomcast.storage.ObjectStore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * A recording's manifest as the API and webhooks show it: without internals (keys, webhook URL,
 * upload counters), with a fresh presigned {@code fileUrl}.
 */
final class RecordingManifest {
    private RecordingManifest() {
    }

    static JsonObject api(Manifest manifest, ObjectStore store) {
        JsonObject m = manifest.json();
        JsonObject file = m.getJsonObject("file");
        if (file != null) file = file.copy().put("fileUrl", store.presignGet(file.getString("filePath")));
        JsonObject api = new JsonObject().put("id", m.getString("id")).put("roomId", m.getString("roomId"))
                .put("sessionId", m.getString("sessionId")).put("status", m.getString("status"))
                .put("reason", m.getString("reason")).put("interrupted", m.getBoolean("interrupted", false))
                .put("createdAt", m.getString("createdAt")).put("start", m.getString("start")).put("end", m.getString("end"))
                .put("config", m.getJsonObject("config")).put("transcription", m.getJsonObject("transcription"))
                .put("file", file).put("participantFiles", m.getJsonArray("participantFiles"))
                .put("spill", m.getJsonObject("spill")).put("pauses", m.getJsonArray("pauses", new JsonArray()))
                .put("thumbnails", Thumbnails.api(m.getJsonArray("thumbnails"), store));
        if (m.getString("participantId") != null) api.put("participantId", m.getString("participantId"));
        if (m.getString("trackKind") != null) api.put("kind", m.getString("trackKind"));
        if (m.containsKey("deletedAt")) api.put("deletedAt", m.getString("deletedAt"));
        return api;
    }

    /** A webhook's data: the API shape without the config. */
    static JsonObject webhook(Manifest m, ObjectStore store) {
        JsonObject data = api(m, store);
        data.remove("config");
        return data;
    }
}
