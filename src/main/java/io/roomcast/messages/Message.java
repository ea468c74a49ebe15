package io.roomcast.messages;

import io.vertx.core.json.JsonObject;

import java.time.Instant;

/**
 * One published message, in VideoSDK's PubSub shape {@code {id, topic, message, payload, senderId,
 * senderName, timestamp}}; {@code sessionMillis} is when it was sent on the session's clock (the
 * clock captions and recordings use), {@code persist} whether it is kept for late joiners and the store.
 */
public record Message(String id, String roomId, String sessionId, String topic, String message, JsonObject payload,
                      String senderId, String senderName, Instant timestamp, long sessionMillis, boolean persist) {

    public JsonObject toJson() {
        return new JsonObject().put("id", id).put("topic", topic).put("message", message).put("payload", payload)
                .put("senderId", senderId).put("senderName", senderName).put("timestamp", timestamp.toString())
                .put("sessionMillis", sessionMillis).put("persist", persist)
                .put("roomId", roomId).put("sessionId", sessionId);
    }

    public static Message fromJson(JsonObject j) {
        return new Message(j.getString("id"), j.getString("roomId"), j.getString("sessionId"), j.getString("topic"),
                j.getString("message"), j.getJsonObject("payload"), j.getString("senderId"), j.getString("senderName"),
                Instant.parse(j.getString("timestamp")), j.getLong("sessionMillis", 0L), j.getBoolean("persist", true));
    }
}
