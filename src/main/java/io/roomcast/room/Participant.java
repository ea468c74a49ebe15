package io.roomcast.room;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/** One user in a session. Mutable; guarded by the owning {@link RoomService}. */
public final class Participant {
    final String participantId;
    String name;
    List<Track> tracks;
    /** Pairs of [start, end]; end is null while the participant is in the session. */
    final List<String[]> timelog = new ArrayList<>();

    Participant(String participantId, String name, List<Track> tracks) {
        this.participantId = participantId;
        this.name = name;
        this.tracks = tracks;
    }

    public String participantId() {
        return participantId;
    }

    public String name() {
        return name;
    }

    public List<Track> tracks() {
        return tracks;
    }

    public boolean present() {
        return !timelog.isEmpty() && timelog.get(timelog.size() - 1)[1] == null;
    }

    void enter(String at) {
        timelog.add(new String[] {at, null});
    }

    void exit(String at) {
        if (present()) timelog.get(timelog.size() - 1)[1] = at;
    }

    JsonObject toJson() {
        JsonArray log = new JsonArray();
        for (String[] span : timelog) log.add(new JsonObject().put("start", span[0]).put("end", span[1]));
        JsonArray t = new JsonArray();
        for (Track track : tracks) t.add(track.toJson());
        return new JsonObject().put("participantId", participantId).put("name", name)
                .put("status", present() ? "joined" : "left").put("timelog", log).put("tracks", t);
    }

    static Participant fromJson(JsonObject json) {
        List<Track> tracks = new ArrayList<>();
        for (Object o : json.getJsonArray("tracks", new JsonArray())) tracks.add(Track.fromJson((JsonObject) o));
        Participant p = new Participant(json.getString("participantId"), json.getString("name"), tracks);
        for (Object o : json.getJsonArray("timelog", new JsonArray())) {
            JsonObject span = (JsonObject) o;
            p.timelog.add(new String[] {span.getString("start"), span.getString("end")});
        }
        return p;
    }
}
