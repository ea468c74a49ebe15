package io.roomcast.messages;

import io.roomcast.errors.Refusal;
import io.roomcast.events.Events;
import io.roomcast.room.Ids;
import io.roomcast.room.Room;
import io.roomcast.room.RoomService;
import io.roomcast.room.Session;
import io.roomcast.storage.ObjectStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Publishes messages to a room's ongoing session and keeps the session's persisted ones and its polls.
 * Every message goes out on the event bus ({@value #ADDRESS}.{roomId}, cluster-wide, for streams on
 * any node) and as the event {@code message-published} (webhooks only when the room asks for it).
 * A session's log is written to {@code messages/{roomId}/{sessionId}.json} within a second of a
 * change, and at the session's end; after a restart it is read back before the first new message.
 */
public final class MessageService {
    private static final Logger LOG = Logger.getLogger(MessageService.class.getName());
    public static final String ADDRESS = "roomcast.messages";

    /** What a caller publishes; {@code senderId} is already the caller's identity where the token carries one. */
    public record Publish(String topic, String message, JsonObject payload, String senderId, String senderName, boolean persist) {
    }

    private static final class SessionLog {
        final String roomId;
        final String sessionId;
        final long startMillis;
        final List<Message> persisted = new ArrayList<>();
        final Polls polls = new Polls();
        boolean dirty;
        boolean ended;
        /** The last write to the store (complete when none is in flight). */
        Future<Void> lastWrite = Future.succeededFuture();

        SessionLog(String roomId, String sessionId, long startMillis) {
            this.roomId = roomId;
            this.sessionId = sessionId;
            this.startMillis = startMillis;
        }

        /** A log as stored ({@code stored} null: none yet). */
        static SessionLog from(Session s, JsonObject stored) {
            SessionLog log = new SessionLog(s.roomId(), s.sessionId(), Instant.parse(s.start()).toEpochMilli());
            if (stored != null) {
                stored.getJsonArray("messages", new JsonArray()).forEach(o -> log.persisted.add(Message.fromJson((JsonObject) o)));
                log.polls.load(stored.getJsonObject("polls"));
            }
            return log;
        }

        JsonObject toJson() {
            JsonArray list = new JsonArray();
            for (Message m : persisted) list.add(m.toJson());
            return new JsonObject().put("roomId", roomId).put("sessionId", sessionId).put("messages", list).put("polls", polls.toJson());
        }
    }

    private final Vertx vertx;
    private final RoomService rooms;
    private final Events events;
    private final ObjectStore store;
    private final MessageLimits limits;
    /** The logs of ongoing sessions on this node, by session id (being read back after a restart, or loaded). */
    private final Map<String, Future<SessionLog>> logs = new ConcurrentHashMap<>();

    public MessageService(Vertx vertx, RoomService rooms, Events events, ObjectStore store, MessageLimits limits) {
        this.vertx = vertx;
        this.rooms = rooms;
        this.events = events;
        this.store = store;
        this.limits = limits;
    }

    private final List<Consumer<Message>> listeners = new CopyOnWriteArrayList<>();

    /** Called on the event loop with every message published on this node (HLS shows timed ones). */
    public void onPublished(Consumer<Message> listener) {
        listeners.add(listener);
    }

    public MessageLimits limits() {
        return limits;
    }

    /** Writes changed logs every second, and a session's log when it ends. */
    public void start() {
        vertx.setPeriodic(1000, t -> flushAll());
        vertx.eventBus().<JsonObject>consumer(Events.ADDRESS, msg -> {
            if (!"session-ended".equals(msg.body().getString("webhookType"))) return;
            Future<SessionLog> f = logs.get(msg.body().getJsonObject("data").getString("sessionId"));
            if (f != null) f.onSuccess(log -> {
                synchronized (log) {
                    log.ended = true;
                }
                flush(log);
            });
        });
    }

    static String key(String roomId, String sessionId) {
        return "messages/" + roomId + "/" + sessionId + ".json";
    }

    /** Publishes to the room's ongoing session: 404 for no such room, 409 when no session is ongoing, 400/413/429 on limits. */
    public Future<Message> publish(String roomId, Publish p) {
        Room room = rooms.room(roomId);
        Session s = rooms.activeSession(roomId);
        if (s == null) throw Refusal.conflict("no_session", "room " + roomId + " has no ongoing session to publish to");
        check(p);
        return log(s).map(log -> {
            Message m;
            synchronized (log) {
                if (log.ended) throw Refusal.conflict("no_session", "the session of room " + roomId + " has ended");
                if (p.persist() && log.persisted.size() >= limits.maxPersistedPerSession()) {
                    throw Refusal.limit("too_many_messages", "the session already keeps " + limits.maxPersistedPerSession()
                            + " persisted messages (messages.maxPersistedPerSession); publish with persist false");
                }
                log.polls.check(p.topic(), p.payload(), limits.maxPollOptions());
                Instant now = Instant.now();
                m = new Message(Ids.hex24(), roomId, s.sessionId(), p.topic(), p.message(), p.payload(), p.senderId(),
                        p.senderName(), now, Math.max(0, now.toEpochMilli() - log.startMillis), p.persist());
                log.polls.add(m);
                if (p.persist() || p.topic().equals(Polls.POLL) || p.topic().equals(Polls.POLL_RESPONSE)) {
                    if (p.persist()) log.persisted.add(m);
                    log.dirty = true;
                }
            }
            vertx.eventBus().publish(ADDRESS + "." + roomId, m.toJson());
            for (Consumer<Message> l : listeners) l.accept(m);
            events.emit(room, "message-published", m.toJson());
            return m;
        });
    }

    private void check(Publish p) {
        if (!Message.isTopic(p.topic(), limits.maxTopicChars())) {
            throw Refusal.invalid("topic must be 1 to " + limits.maxTopicChars() + " letters, digits or _.:- (e.g. CHAT, POLL, QNA)");
        }
        if (p.message() == null) throw Refusal.invalid("message is required (a string)");
        if (p.message().length() > limits.maxMessageChars()) {
            throw Refusal.invalid("message_too_long", "message is longer than " + limits.maxMessageChars() + " characters (messages.maxMessageChars)");
        }
        if (p.payload() != null && p.payload().encode().getBytes(StandardCharsets.UTF_8).length > limits.maxPayloadBytes()) {
            throw Refusal.invalid("payload_too_large", "payload is more than " + limits.maxPayloadBytes() + " bytes of JSON (messages.maxPayloadBytes)");
        }
    }

    /**
     * The persisted messages of a session (the ongoing one when {@code sessionId} is null, else the
     * room's latest), on {@code topic} when given, sent after {@code sinceMillis} on the session clock.
     */
    public Future<List<Message>> list(String roomId, String sessionId, String topic, long sinceMillis) {
        rooms.room(roomId);
        Session s = sessionId != null ? rooms.session(sessionId) : ongoingOrLatest(roomId);
        if (s == null || !s.roomId().equals(roomId)) {
            if (sessionId != null) throw Refusal.notFound("session", sessionId);
            return Future.succeededFuture(List.of());
        }
        return read(s).map(log -> {
            synchronized (log) {
                return log.persisted.stream().filter(m -> topic == null || m.topic().equals(topic))
                        .filter(m -> m.sessionMillis() > sinceMillis).toList();
            }
        });
    }

    /** The live tally of a poll of the room's ongoing (or latest) session; 404 when there is no such poll. */
    public Future<JsonObject> poll(String roomId, String pollId) {
        rooms.room(roomId);
        Session s = ongoingOrLatest(roomId);
        if (s == null) throw Refusal.notFound("poll", pollId);
        return read(s).map(log -> {
            JsonObject t;
            synchronized (log) {
                t = log.polls.tally(pollId);
            }
            if (t == null) throw Refusal.notFound("poll", pollId);
            return t.put("roomId", roomId).put("sessionId", s.sessionId());
        });
    }

    private Session ongoingOrLatest(String roomId) {
        Session s = rooms.activeSession(roomId);
        if (s != null) return s;
        List<Session> all = rooms.sessions(roomId); // oldest first
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }

    /** The session's log: this node's live one, or (an ended session, another node's) read from the store. */
    private Future<SessionLog> read(Session s) {
        Future<SessionLog> live = logs.get(s.sessionId());
        if (live != null) return live;
        return stored(s.roomId(), s.sessionId()).map(j -> SessionLog.from(s, j));
    }

    private Future<JsonObject> stored(String roomId, String sessionId) {
        return store.getJson(key(roomId, sessionId)).recover(e -> Future.succeededFuture(null));
    }

    private Future<SessionLog> log(Session s) {
        // After a restart the session may already have messages in the store: read them back first.
        return logs.computeIfAbsent(s.sessionId(), id -> stored(s.roomId(), id).map(j -> SessionLog.from(s, j)));
    }

    private void flushAll() {
        for (Future<SessionLog> f : logs.values()) {
            if (f.succeeded()) flush(f.result());
        }
    }

    /** Writes what changed of every log now (at shutdown), after any write in flight. */
    public Future<Void> drain() {
        List<Future<Void>> writes = new ArrayList<>();
        for (Future<SessionLog> f : logs.values()) {
            if (!f.succeeded()) continue;
            SessionLog log = f.result();
            Future<Void> last;
            synchronized (log) {
                last = log.lastWrite;
            }
            writes.add(last.transform(ar -> {
                flush(log);
                synchronized (log) {
                    return log.lastWrite;
                }
            }));
        }
        return Future.all(writes).mapEmpty();
    }

    /** Starts a write of the log if it changed and none is in flight (the next tick writes what changes meanwhile). */
    private void flush(SessionLog log) {
        JsonObject json;
        synchronized (log) {
            if (!log.lastWrite.isComplete()) return;
            if (!log.dirty) {
                if (log.ended) logs.remove(log.sessionId);
                return;
            }
            log.dirty = false;
            json = log.toJson();
            log.lastWrite = store.putJson(key(log.roomId, log.sessionId), json).onComplete(ar -> {
                if (ar.failed()) {
                    synchronized (log) {
                        log.dirty = true;
                    }
                    LOG.warning("messages of session " + log.sessionId + " not stored yet (retried in a second): " + ar.cause().getMessage());
                } else if (log.ended) {
                    vertx.runOnContext(v -> flush(log)); // ended: forget it once nothing is left to write
                }
            });
        }
    }
}
