package io.roomcast.transcribe;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The messages sent while a recording ran, on the recording's own timeline: seconds from its start,
 * less the paused stretches before them (a message sent while paused sits where the pause is cut).
 * Poll answers and reactions are left out: they are tallies, not conversation.
 */
final class TranscriptNotes {
    private TranscriptNotes() {
    }

    /**
     * {@code start} is the instant the recording's first moment shows (its timeline's zero), {@code asked}
     * when it was asked for: a message sent before that is not part of it, even when the file's first
     * moment (the mix's delay) comes a little earlier.
     */
    static List<Transcript.Note> of(List<JsonObject> messages, Instant start, Instant asked, Instant end, JsonArray pauses) {
        List<Transcript.Note> out = new ArrayList<>();
        for (JsonObject m : messages) {
            String topic = m.getString("topic");
            if ("POLL_RESPONSE".equals(topic) || "REACTION".equals(topic)) continue;
            Instant at = Instant.parse(m.getString("timestamp"));
            if (at.isBefore(start) || asked != null && at.isBefore(asked) || end != null && at.isAfter(end)) continue;
            double seconds = millis(start, at);
            for (Object o : pauses == null ? new JsonArray() : pauses) {
                JsonObject p = (JsonObject) o;
                Instant from = Instant.parse(p.getString("start"));
                if (!from.isBefore(at)) continue;
                Instant to = p.getString("end") == null ? at : Instant.parse(p.getString("end"));
                seconds -= millis(from, to.isBefore(at) ? to : at);
            }
            String sender = m.getString("senderName") != null ? m.getString("senderName") : m.getString("senderId");
            out.add(new Transcript.Note(m.getString("id"), topic, m.getString("senderId"), sender, Math.max(0, seconds), m.getString("message")));
        }
        out.sort(Comparator.comparingDouble(Transcript.Note::at));
        return out;
    }

    private static double millis(Instant from, Instant to) {
        return Duration.between(from, to).toMillis() / 1000.0;
    }
}
