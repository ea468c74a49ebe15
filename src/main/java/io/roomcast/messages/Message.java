package io.roomcast.messages;

import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.regex.Pattern;

/**
 * One published message, in VideoSDK's PubSub shape {@code {id, topic, message, payload, senderId,
 * senderName, timestamp}}; {@code sessionMillis} is when it was sent on the session's clock (the
 * clock captions and recordings use), {@code persist} whether it is kept for late joiners and the store.
 */
public record Message(String id, String roomId, String sessionId, String topic, String message, JsonObject payload,
                      String senderId, String senderName, Instant timestamp, long sessionMillis, boolean persist) {

    private static final Pattern TOPIC = Pattern.compile("[A-Za-z0-9_.:-]+");

    /** A topic name: 1 to {@code maxChars} letters, digits or _.:- (CHAT, POLL, QNA, ...). */
    public static boolean isTopic(String topic, int maxChars) {
        return topic != null && !topic.isEmpty() && topic.length() <= maxChars && TOPIC.matcher(topic).matches();
    }

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
