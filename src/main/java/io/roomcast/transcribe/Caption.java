package io.roomcast.transcribe;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;

/**
 * One caption: what a participant said, partial (still changing) or final, with times in
 * milliseconds on the session clock and, for finals, per-word times and confidences.
 */
public record Caption(long seq, String participantId, String participantName, String text, String type,
                      long start, long end, JsonArray words, long emittedAtMillis) {

    public boolean isFinal() {
        return "final".equals(type);
    }

    public JsonObject toJson() {
        JsonObject json = new JsonObject().put("seq", seq).put("participantId", participantId)
                .put("participantName", participantName).put("text", text).put("type", type)
                .put("start", start).put("end", end).put("emittedAt", Instant.ofEpochMilli(emittedAtMillis).toString());
        if (words != null) json.put("words", words);
        return json;
    }
}
