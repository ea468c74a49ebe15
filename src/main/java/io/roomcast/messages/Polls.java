package io.roomcast.messages;

import io.roomcast.errors.Refusal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The polls of one session: a {@code POLL} message with {@code payload.options} opens one (its id is
 * the message's), a {@code POLL_RESPONSE} with {@code payload.pollId} and {@code payload.option}
 * answers it, one answer per sender (a later one replaces the earlier). Used under the session log's lock.
 */
final class Polls {
    static final String POLL = "POLL";
    static final String POLL_RESPONSE = "POLL_RESPONSE";

    private record Poll(String id, String question, List<String> options, Map<String, String> answers) {
    }

    /** Bounds on a session's polls and on all their answers together. */
    static final int MAX_POLLS = 1000;
    static final int MAX_ANSWERS = 100_000;

    private final Map<String, Poll> polls = new LinkedHashMap<>();
    private int answers;

    /** Checks a message of a poll topic before it is accepted (400 naming the field). */
    void check(String topic, JsonObject payload, int maxOptions) {
        if (topic.equals(POLL)) {
            if (polls.size() >= MAX_POLLS) throw Refusal.limit("too_many_polls", "the session already has " + MAX_POLLS + " polls");
            List<String> options = options(payload, maxOptions);
            if (options.size() < 2) throw Refusal.invalid("payload.options must list at least two answers (strings)");
        } else if (topic.equals(POLL_RESPONSE)) {
            String pollId = payload == null ? null : payload.getValue("pollId") instanceof String s ? s : null;
            if (pollId == null) throw Refusal.invalid("payload.pollId must name the POLL message answered");
            Poll p = polls.get(pollId);
            if (p == null) throw Refusal.notFound("poll", pollId);
            if (answers >= MAX_ANSWERS) throw Refusal.limit("too_many_answers", "the session's polls already hold " + MAX_ANSWERS + " answers");
            Object option = payload.getValue("option");
            if (!(option instanceof String o) || !p.options().contains(o)) {
                throw Refusal.invalid("payload.option must be one of the poll's options " + p.options());
            }
        }
    }

    /** Takes an accepted message into the tallies. */
    void add(Message m) {
        if (m.topic().equals(POLL)) {
            polls.put(m.id(), new Poll(m.id(), m.message(), options(m.payload(), Integer.MAX_VALUE), new LinkedHashMap<>()));
        } else if (m.topic().equals(POLL_RESPONSE)) {
            Poll p = polls.get(m.payload().getString("pollId"));
            if (p != null && p.answers().put(m.senderId(), m.payload().getString("option")) == null) answers++;
        }
    }

    /** The live tally {@code {pollId, question, options: [{option, votes}], total}}, or null. */
    JsonObject tally(String pollId) {
        Poll p = polls.get(pollId);
        if (p == null) return null;
        JsonArray options = new JsonArray();
        for (String o : p.options()) {
            options.add(new JsonObject().put("option", o).put("votes", p.answers().values().stream().filter(o::equals).count()));
        }
        return new JsonObject().put("pollId", p.id()).put("question", p.question()).put("options", options)
                .put("total", p.answers().size());
    }

    JsonObject toJson() {
        JsonObject all = new JsonObject();
        for (Poll p : polls.values()) {
            JsonObject answers = new JsonObject();
            p.answers().forEach(answers::put);
            all.put(p.id(), new JsonObject().put("question", p.question()).put("options", new JsonArray(new ArrayList<>(p.options())))
                    .put("answers", answers));
        }
        return all;
    }

    void load(JsonObject stored) {
        if (stored == null) return;
        for (String id : stored.fieldNames()) {
            JsonObject p = stored.getJsonObject(id);
            Map<String, String> answers = new LinkedHashMap<>();
            p.getJsonObject("answers", new JsonObject()).forEach(e -> answers.put(e.getKey(), String.valueOf(e.getValue())));
            List<String> options = new ArrayList<>();
            p.getJsonArray("options", new JsonArray()).forEach(o -> options.add(String.valueOf(o)));
            polls.put(id, new Poll(id, p.getString("question"), options, answers));
            this.answers += answers.size();
        }
    }

    private static List<String> options(JsonObject payload, int max) {
        if (payload == null || !(payload.getValue("options") instanceof JsonArray a)) return List.of();
        if (a.size() > max) throw Refusal.invalid("payload.options lists more than " + max + " answers");
        List<String> out = new ArrayList<>();
        for (Object o : a) {
            if (!(o instanceof String s) || s.isBlank()) throw Refusal.invalid("payload.options must be strings");
            if (out.contains(s)) throw Refusal.invalid("payload.options lists \"" + s + "\" twice");
            out.add(s);
        }
        return out;
    }
}
