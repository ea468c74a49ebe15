package io.roomcast.room;

import java.util.Set;

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

    /** Events sent to a webhook only when it names them: frequent, and of use to few (an SFU's keyframe hook). */
    public static final Set<String> OPT_IN_EVENTS = Set.of("keyframe-needed");

    /** Whether the room's webhook wants events of this type. */
    public boolean wants(String webhookType) {
        if (webhookUrl == null) return false;
        if (webhookEvents == null) return !OPT_IN_EVENTS.contains(webhookType);
        return webhookEvents.contains(webhookType);
    }
}
