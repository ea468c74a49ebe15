package io.roomcast.room;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/** A long-lived virtual place; sessions happen in it. Immutable. */
public record Room(String roomId, String customRoomId, String createdAt, String webhookUrl, List<String> webhookEvents) {

    public JsonObject toJson() {
        JsonObject json = new JsonObject()
                .put("roomId", roomId)
                .put("customRoomId", customRoomId)
                .put("createdAt", createdAt);
        if (webhookUrl != null) {
            JsonObject webhook = new JsonObject().put("url", webhookUrl);
            if (webhookEvents != null) webhook.put("events", new JsonArray(webhookEvents));
            json.put("webhook", webhook);
        }
        return json;
    }

    public static Room fromJson(JsonObject json) {
        JsonObject webhook = json.getJsonObject("webhook");
        List<String> events = null;
        if (webhook != null && webhook.getJsonArray("events") != null) {
            events = webhook.getJsonArray("events").stream().map(String::valueOf).toList();
        }
        return new Room(json.getString("roomId"), json.getString("customRoomId"), json.getString("createdAt"),
                webhook == null ? null : webhook.getString("url"), events);
    }

    /** Whether the room's webhook wants events of this type. */
    public boolean wants(String webhookType) {
        return webhookUrl != null && (webhookEvents == null || webhookEvents.contains(webhookType));
    }
}
