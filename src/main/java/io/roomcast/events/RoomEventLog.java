package io.roomcast.events;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The recent events of every room this node hears of (the event bus carries them cluster-wide), so a
 * room's event stream resumes after a reconnect with {@code Last-Event-ID}: up to {@code perRoom}
 * events per room, each kept for at most {@code keepMillis}; a client whose last id is older than
 * that is told so (a gap) and gets what is kept.
 */
public final class RoomEventLog {
    private final int perRoom;
    private final long keepMillis;
    private final Map<String, Log> rooms = new ConcurrentHashMap<>();

    private record Kept(long id, long atMillis, JsonObject event) {
    }

    /** One room's kept events, and the id of the newest one let go (0: none). */
    private static final class Log {
        final Deque<Kept> kept = new ArrayDeque<>();
        long droppedUpTo;

        void dropFirst() {
            droppedUpTo = kept.removeFirst().id();
        }
    }

    /** What a stream resumes with: the events after the client's last id, and whether some in between were let go. */
    public record Resume(List<JsonObject> events, boolean gap) {
    }

    public RoomEventLog(int perRoom, long keepMillis) {
        this.perRoom = perRoom;
        this.keepMillis = keepMillis;
    }

    public void listen(Vertx vertx) {
        vertx.eventBus().<JsonObject>consumer(Events.ADDRESS, msg -> keep(msg.body()));
        vertx.setPeriodic(Math.max(1000, keepMillis / 4), t -> sweep(System.currentTimeMillis()));
    }

    private void keep(JsonObject event) {
        JsonObject data = event.getJsonObject("data");
        String roomId = data == null ? null : data.getString("roomId");
        if (roomId == null || event.getString("id") == null) return;
        Log log = rooms.computeIfAbsent(roomId, r -> new Log());
        synchronized (log) {
            log.kept.addLast(new Kept(Long.parseLong(event.getString("id")), System.currentTimeMillis(), event));
            while (log.kept.size() > perRoom) log.dropFirst();
        }
    }

    /** The room's kept events after {@code lastId} (none when it is null: a new stream starts from now), oldest first. */
    public Resume after(String roomId, String lastId) {
        Log log = rooms.get(roomId);
        if (lastId == null || log == null) return new Resume(List.of(), false);
        long last;
        try {
            last = Long.parseLong(lastId);
        } catch (NumberFormatException e) {
            return new Resume(List.of(), true);
        }
        List<JsonObject> out = new ArrayList<>();
        synchronized (log) {
            for (Kept k : log.kept) if (k.id() > last) out.add(k.event());
            return new Resume(out, last < log.droppedUpTo);
        }
    }

    private void sweep(long nowMillis) {
        rooms.values().removeIf(log -> {
            synchronized (log) {
                while (!log.kept.isEmpty() && nowMillis - log.kept.peekFirst().atMillis() > keepMillis) log.dropFirst();
                return log.kept.isEmpty();
            }
        });
    }
}
