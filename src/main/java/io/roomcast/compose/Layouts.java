package io.roomcast.compose;

import io.roomcast.mix.AudioMixer;
import io.roomcast.mix.Layout;
import io.roomcast.room.RoomService;
import io.roomcast.room.Session;
import io.roomcast.room.Track;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each room's layout as set through the API (pinned participant, active speaker, layout type), and
 * the order of tiles it gives. Written from the event loop, read by the media thread (volatile).
 */
public final class Layouts {
    private static final class State {
        volatile String pin;
        volatile String activeSpeaker;
        volatile String type;
    }

    private final RoomService rooms;
    private final AudioMixer mixer;
    private final Map<String, State> layouts = new ConcurrentHashMap<>();

    public Layouts(RoomService rooms, AudioMixer mixer) {
        this.rooms = rooms;
        this.mixer = mixer;
    }

    public JsonObject set(String roomId, String pin, String activeSpeaker, String type, boolean clearPin, boolean clearSpeaker) {
        rooms.room(roomId);
        State l = layouts.computeIfAbsent(roomId, r -> new State());
        if (pin != null || clearPin) l.pin = pin;
        if (activeSpeaker != null || clearSpeaker) l.activeSpeaker = activeSpeaker;
        if (type != null) l.type = type;
        return json(roomId);
    }

    public JsonObject json(String roomId) {
        State l = layouts.get(roomId);
        Session s = rooms.activeSession(roomId);
        return new JsonObject().put("roomId", roomId).put("pin", l == null ? null : l.pin)
                .put("activeSpeaker", l != null && l.activeSpeaker != null ? l.activeSpeaker
                        : s == null ? null : mixer.activeSpeaker(s.sessionId()))
                .put("type", l == null ? null : l.type);
    }

    /** The room moved to another node. */
    public void forget(String roomId) {
        layouts.remove(roomId);
    }

    /** The layout type in force: the room's own, else the output's. */
    String type(String roomId, String configured) {
        State l = layouts.get(roomId);
        return l != null && l.type != null ? l.type : configured;
    }

    /** Feeds by priority: screen shares, then the pinned or speaking participant, then join order. */
    List<Layout.Feed> feeds(String roomId, String sessionId, String priority, List<RoomService.Present> present) {
        State l = layouts.get(roomId);
        String first = null;
        if (priority.equals("PIN") && l != null && l.pin != null) first = l.pin;
        if (first == null) first = l != null && l.activeSpeaker != null ? l.activeSpeaker : mixer.activeSpeaker(sessionId);
        if (first == null && l != null && l.pin != null) first = l.pin;
        List<Layout.Feed> screens = new ArrayList<>();
        List<Layout.Feed> cams = new ArrayList<>();
        for (RoomService.Present p : present) {
            for (Track t : p.tracks()) {
                if (t.kind().equals("video") && "screen".equals(t.source())) {
                    screens.add(new Layout.Feed(p.participantId(), p.name(), "screen"));
                }
            }
            // Everyone has a camera tile; without a camera track (or pictures) it shows the placeholder.
            Layout.Feed f = new Layout.Feed(p.participantId(), p.name(), "camera");
            if (p.participantId().equals(first)) cams.add(0, f);
            else cams.add(f);
        }
        screens.addAll(cams);
        return screens;
    }
}
