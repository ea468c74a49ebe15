package io.roomcast.room;

import io.roomcast.events.Events;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * Carries out rooms' {@link AutoClose} rules on this node: a session that reaches its room's
 * duration is ended as {@code POST /v2/sessions/end} would end it, and a room whose rule says so is
 * deactivated when a session of it ends. Runs on the event loop, from the session events.
 */
public final class AutoCloser {
    private static final Logger LOG = Logger.getLogger(AutoCloser.class.getName());

    private final Vertx vertx;
    private final RoomService rooms;
    /** The duration timer of each running session that has one. */
    private final Map<String, Long> timers = new ConcurrentHashMap<>();

    public AutoCloser(Vertx vertx, RoomService rooms) {
        this.vertx = vertx;
        this.rooms = rooms;
    }

    public void listen() {
        vertx.eventBus().<JsonObject>consumer(Events.ADDRESS, msg -> {
            String type = msg.body().getString("webhookType");
            JsonObject data = msg.body().getJsonObject("data");
            if ("session-started".equals(type)) started(data.getString("roomId"), data.getString("sessionId"));
            else if ("session-ended".equals(type)) ended(data.getString("roomId"), data.getString("sessionId"));
        });
    }

    private AutoClose rule(String roomId) {
        try {
            return rooms.isLocal(roomId) ? rooms.room(roomId).autoClose() : null;
        } catch (RuntimeException gone) { // released or moved since the event
            return null;
        }
    }

    private void started(String roomId, String sessionId) {
        AutoClose rule = rule(roomId);
        if (rule == null || rule.durationSeconds() == AutoClose.NO_LIMIT) return;
        timers.put(sessionId, vertx.setTimer(rule.durationSeconds() * 1000L, t -> {
            timers.remove(sessionId);
            Session s = rooms.activeSession(roomId);
            if (s == null || !s.sessionId().equals(sessionId)) return;
            LOG.info(() -> "room " + roomId + ": session " + sessionId + " reached autoCloseConfig.duration ("
                    + rule.durationSeconds() + " s) and ends");
            rooms.endSession(roomId).onFailure(e -> LOG.warning("room " + roomId + ": autoCloseConfig could not end the session: "
                    + e.getMessage()));
        }));
    }

    private void ended(String roomId, String sessionId) {
        Long timer = timers.remove(sessionId);
        if (timer != null) vertx.cancelTimer(timer);
        AutoClose rule = rule(roomId);
        if (rule == null || !rule.deactivates()) return;
        rooms.deactivate(roomId).onFailure(e -> LOG.warning("room " + roomId + ": autoCloseConfig could not deactivate it: "
                + e.getMessage()));
    }
}
