package io.roomcast.room;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/** One meeting in a room. Mutable; guarded by the owning {@link RoomService}. */
public final class Session {
    public static final String ONGOING = "ongoing";
    public static final String ENDED = "ended";

    final String sessionId;
    final String roomId;
    final String start;
    String end;
    String status;
    final Map<String, Participant> participants = new LinkedHashMap<>();

    Session(String sessionId, String roomId, String start) {
        this.sessionId = sessionId;
        this.roomId = roomId;
        this.start = start;
        this.status = ONGOING;
    }

    public String sessionId() {
        return sessionId;
    }

    public String roomId() {
        return roomId;
    }

    public String start() {
        return start;
    }

    public String status() {
        return status;
    }

    public boolean ongoing() {
        return ONGOING.equals(status);
    }

    public Collection<Participant> participants() {
        return participants.values();
    }

    long presentCount() {
        return participants.values().stream().filter(Participant::present).count();
    }

    public JsonObject toJson() {
        JsonArray list = new JsonArray();
        for (Participant p : participants.values()) list.add(p.toJson());
        return new JsonObject().put("sessionId", sessionId).put("roomId", roomId).put("start", start)
                .put("end", end).put("status", status).put("participants", list);
    }

    static Session fromJson(JsonObject json) {
        Session s = new Session(json.getString("sessionId"), json.getString("roomId"), json.getString("start"));
        s.end = json.getString("end");
        s.status = json.getString("status", ONGOING);
        for (Object o : json.getJsonArray("participants", new JsonArray())) {
            Participant p = Participant.fromJson((JsonObject) o);
            s.participants.put(p.participantId, p);
        }
        return s;
    }
}
