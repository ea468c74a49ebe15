package io.roomcast.events;

import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What became of a room's latest webhook deliveries (type, URL, state, attempts, last answer), for
 * {@code GET /v2/rooms/{roomId}/webhooks/deliveries} and the console. Bounded: the newest
 * {@value #PER_ROOM} per room, for the {@value #ROOMS} rooms that sent most recently. Kept in memory
 * on the node that delivered them.
 */
public final class DeliveryLog {
    static final int PER_ROOM = 50;
    static final int ROOMS = 1000;

    public enum State {
        PENDING, RETRYING, DELIVERED, FAILED, BLOCKED, DROPPED;

        String json() {
            return name().toLowerCase();
        }
    }

    /** One delivery; its state changes as attempts are made (on the event loop), read from any thread. */
    public static final class Entry {
        final String id;
        final String roomId;
        final String type;
        final String url;
        final Instant at = Instant.now();
        volatile State state = State.PENDING;
        volatile int attempts;
        volatile int lastStatus;
        volatile String lastError;

        Entry(String id, String roomId, String type, String url) {
            this.id = id;
            this.roomId = roomId;
            this.type = type;
            this.url = url;
        }

        void attempted(int status, String error, State next) {
            attempts++;
            lastStatus = status;
            lastError = error;
            state = next;
        }

        JsonObject toJson() {
            return new JsonObject().put("id", id).put("roomId", roomId).put("type", type).put("url", url)
                    .put("at", at.toString()).put("state", state.json()).put("attempts", attempts)
                    .put("lastStatus", lastStatus > 0 ? lastStatus : null).put("lastError", lastError);
        }
    }

    private final Map<String, ArrayDeque<Entry>> rooms = new LinkedHashMap<>(16, 0.75f, true);

    /** A new delivery of {@code roomId} (null: not a room's event, not logged). */
    synchronized Entry add(String id, String roomId, String type, String url) {
        Entry e = new Entry(id, roomId, type, url);
        if (roomId == null) return e;
        ArrayDeque<Entry> list = rooms.computeIfAbsent(roomId, r -> new ArrayDeque<>());
        list.addFirst(e);
        while (list.size() > PER_ROOM) list.removeLast();
        if (rooms.size() > ROOMS) {
            Iterator<String> oldest = rooms.keySet().iterator();
            oldest.next();
            oldest.remove();
        }
        return e;
    }

    /** The room's deliveries, newest first. */
    public synchronized List<JsonObject> room(String roomId) {
        ArrayDeque<Entry> list = rooms.get(roomId);
        List<JsonObject> out = new ArrayList<>();
        if (list != null) for (Entry e : list) out.add(e.toJson());
        return out;
    }
}
