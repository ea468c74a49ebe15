package io.roomcast.room;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Set;

/**
 * A long-lived virtual place; sessions happen in it. Immutable. A deactivated ({@code disabled})
 * room refuses joins. The webhook's events are types or patterns ({@code "*"}, {@code "recording-*"}).
 */
public record Room(String roomId, String customRoomId, String createdAt, String webhookUrl, List<String> webhookEvents,
                   boolean disabled, JsonObject autoStartConfig, AutoClose autoClose) {

    /**
     * {@code autoStartConfig}: what a session's start starts (VideoSDK's field, checked by the API); null for nothing.
     * {@code autoClose}: how long its sessions may last and whether their end deactivates it; null for no such rule.
     */
    public Room {
        autoStartConfig = autoStartConfig == null ? null : autoStartConfig.copy();
    }

    public Room deactivated() {
        return new Room(roomId, customRoomId, createdAt, webhookUrl, webhookEvents, true, autoStartConfig, autoClose);
    }

    /** Roomcast's fields, and VideoSDK's names for the same things ({@code id}, {@code webhook.endPoint}). */
    public JsonObject toJson() {
        JsonObject json = new JsonObject()
                .put("roomId", roomId)
                .put("id", roomId)
                .put("customRoomId", customRoomId)
                .put("createdAt", createdAt)
                .put("disabled", disabled);
        if (autoStartConfig != null) json.put("autoStartConfig", autoStartConfig.copy());
        if (autoClose != null) json.put("autoCloseConfig", autoClose.toJson());
        if (webhookUrl != null) {
            JsonObject webhook = new JsonObject().put("url", webhookUrl).put("endPoint", webhookUrl);
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
                webhook == null ? null : webhook.getString("url"), events, json.getBoolean("disabled", false),
                json.getJsonObject("autoStartConfig"), AutoClose.fromJson(json.getJsonObject("autoCloseConfig")));
    }

    /** Events sent to a webhook only when it names them: frequent, and of use to few (an SFU's keyframe hook). */
    public static final Set<String> OPT_IN_EVENTS = Set.of("keyframe-needed", "message-published");

    /** Whether the room's webhook wants events of this type; a pattern never takes in an opt-in event. */
    public boolean wants(String webhookType) {
        if (webhookUrl == null) return false;
        if (webhookEvents == null) return !OPT_IN_EVENTS.contains(webhookType);
        if (webhookEvents.contains(webhookType)) return true;
        if (OPT_IN_EVENTS.contains(webhookType)) return false;
        return webhookEvents.stream().anyMatch(p -> matches(p, webhookType));
    }

    /** Whether the room's webhook wants this event: by its type, and for a message also by its topic. */
    public boolean wants(String webhookType, JsonObject data) {
        return webhookType.equals(MESSAGE_PUBLISHED) ? wantsMessage(data.getString("topic")) : wants(webhookType);
    }

    /**
     * Whether the room's webhook wants a message on {@code topic}: it names {@code message-published}
     * (every topic) or {@code message-published:TOPIC}.
     */
    private boolean wantsMessage(String topic) {
        if (webhookUrl == null || webhookEvents == null) return false;
        return webhookEvents.contains(MESSAGE_PUBLISHED) || webhookEvents.contains(MESSAGE_PUBLISHED + ":" + topic);
    }

    public static final String MESSAGE_PUBLISHED = "message-published";

    /** {@code "*"} matches every type, {@code "recording-*"} every type that starts with {@code recording-}. */
    public static boolean matches(String pattern, String webhookType) {
        if (!pattern.endsWith("*")) return pattern.equals(webhookType);
        return webhookType.startsWith(pattern.substring(0, pattern.length() - 1));
    }
}
