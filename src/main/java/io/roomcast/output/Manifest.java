package io.roomcast.output;

import io.vertx.core.json.JsonObject;

/**
 * A stored output manifest: the typed header every kind shares, and the whole JSON as the store
 * keeps it (kind-specific fields, read by the kind). The JSON is never changed in place: a new
 * state is a new manifest.
 */
public record Manifest(String id, String roomId, String sessionId, OutputStatus status, String createdAt, JsonObject json) {
    public static Manifest of(JsonObject json) {
        return new Manifest(json.getString("id"), json.getString("roomId"), json.getString("sessionId"),
                OutputStatus.of(json.getString("status")), json.getString("createdAt", ""), json);
    }
}
