package io.roomcast.room;

import io.micrometer.core.instrument.MeterRegistry;
import io.roomcast.errors.Refusal;
import io.roomcast.events.Events;
import io.roomcast.storage.ObjectStore;
import io.roomcast.storage.Persister;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Rooms, sessions and participants of this node. A session starts when the first participant joins
 * and ends {@code graceSeconds} after the last one leaves (or on request). Every change is written to
 * the object store as a JSON manifest before the caller is answered, and {@link #load()} reads them
 * back, so a restarted node knows everything that existed before.
 * <p>
 * Mutations are {@code synchronized} and short; persistence and webhooks are asynchronous.
 */
public final class RoomService {
    private static final Logger LOG = Logger.getLogger(RoomService.class.getName());
    static final String SESSIONS_PREFIX = "meta/sessions/";

    /** Where an SSRC belongs: the ingest demultiplexes on this. */
    public record TrackBinding(String roomId, String sessionId, String participantId, Track track) {
    }

    public record JoinResult(Session session, Participant participant) {
    }

    /** Told when an SSRC starts or stops belonging to a track, and when a session ends. */
    public interface TrackListener {
        void bound(TrackBinding binding);

        void unbound(TrackBinding binding);

        void sessionEnded(String roomId, String sessionId);
    }

    private final List<TrackListener> listeners = new CopyOnWriteArrayList<>();

    public void addListener(TrackListener listener) {
        listeners.add(listener);
    }

    private final Vertx vertx;
    private final ObjectStore store;
    private final Persister persister;
    private final Events events;
    private final long graceMs;
    private final int maxParticipantsPerRoom;

    private final RoomRecords records;
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final Map<String, Session> active = new HashMap<>();
    private final Map<String, Long> graceTimers = new HashMap<>();
    private final Map<Long, TrackBinding> ssrcs = new ConcurrentHashMap<>();

    public RoomService(Vertx vertx, ObjectStore store, Events events, long graceMs, int maxRooms,
                       int maxParticipantsPerRoom, MeterRegistry registry) {
        this.vertx = vertx;
        this.store = store;
        this.persister = new Persister(store);
        this.events = events;
        this.graceMs = graceMs;
        this.records = new RoomRecords(persister, maxRooms);
        this.maxParticipantsPerRoom = maxParticipantsPerRoom;
        registry.gauge("roomcast_rooms", List.of(), records, RoomRecords::size);
        registry.gauge("roomcast_sessions_active", List.of(), this, s -> s.activeCount());
        registry.gaugeMapSize("roomcast_tracks_registered", List.of(), ssrcs);
    }

    private synchronized int activeCount() {
        return active.size();
    }

    private static String now() {
        return Instant.now().toString();
    }

    /** The participant of the room's ongoing session, or null. */
    public synchronized Participant participant(String roomId, String participantId) {
        Session s = active.get(roomId);
        return s == null ? null : s.participants.get(participantId);
    }

    /** In a cluster: this node's name, written into the manifests of the rooms it owns. Before {@link #load}. */
    public void setNode(String name) {
        records.node(name);
    }

    /** Whether this node holds the room (always, outside a cluster, for rooms that exist). */
    public boolean isLocal(String roomId) {
        return records.contains(roomId);
    }

    /**
     * Reads the room and session manifests from the store (in a cluster, only the rooms whose
     * manifest names this node). Call once, before serving.
     */
    public Future<Void> load() {
        Future<Void> roomsLoaded = store.listKeys(RoomRecords.PREFIX).compose(keys -> loadAll(keys, json -> {
            if (records.ours(json)) records.put(Room.fromJson(json));
        }));
        Future<Void> sessionsLoaded = roomsLoaded.compose(v -> store.listKeys(SESSIONS_PREFIX)).compose(keys -> loadAll(keys, json -> {
            Session s = Session.fromJson(json);
            if (records.contains(s.roomId)) sessions.put(s.sessionId, s);
        }));
        return sessionsLoaded.map(v -> {
            restoreActive();
            LOG.info(() -> "loaded " + records.size() + " rooms and " + sessions.size() + " sessions from the store");
            return null;
        });
    }

    /**
     * Takes over a room from a lost node: its manifest (now naming this node) and sessions are read
     * from the store; a session that was ongoing there is ended here (its media went with the node).
     * Blocking: call from a plain thread (not an event loop or a Vert.x worker).
     */
    public Room adopt(String roomId) {
        JsonObject json = store.getJson(RoomRecords.PREFIX + roomId + ".json").await();
        if (json == null) throw new IllegalStateException("no manifest for room " + roomId);
        Room room = Room.fromJson(json);
        records.put(room);
        records.persist(room).await();
        List<Session> ongoing = new ArrayList<>();
        loadAll(store.listKeys(SESSIONS_PREFIX + roomId + "/").await(), j -> {
            Session s = Session.fromJson(j);
            sessions.put(s.sessionId, s);
            if (s.ongoing()) ongoing.add(s);
        }).await();
        for (Session s : ongoing) {
            synchronized (this) {
                active.put(s.roomId, s);
            }
            end(s).await();
        }
        return room;
    }

    /**
     * Lets another node take a room that has no ongoing session (placement at the first join):
     * forgets it here; false (and nothing changes) while a session is ongoing.
     */
    public synchronized boolean release(String roomId) {
        if (active.containsKey(roomId) || !records.contains(roomId)) return false;
        records.remove(roomId);
        sessions.values().removeIf(s -> s.roomId.equals(roomId));
        return true;
    }

    private Future<Void> loadAll(List<String> keys, Consumer<JsonObject> into) {
        List<Future<JsonObject>> reads = new ArrayList<>();
        for (String key : keys) {
            if (key.endsWith(".json")) reads.add(store.getJson(key));
        }
        return Future.all(reads).map(all -> {
            for (int i = 0; i < all.size(); i++) {
                JsonObject json = all.resultAt(i);
                if (json != null) into.accept(json);
            }
            return null;
        });
    }

    /** Ongoing sessions carry on after a restart: their SSRCs are bound again and grace timers rearmed. */
    private synchronized void restoreActive() {
        for (Session s : sessions.values()) {
            if (!s.ongoing()) continue;
            active.put(s.roomId, s);
            for (Participant p : s.participants.values()) {
                if (p.present()) bind(s, p);
            }
            if (s.presentCount() == 0) armGrace(s);
        }
    }

    // ---- rooms ----

    /** A new room, or the existing one of this {@code customRoomId} (creation is idempotent on it, as in VideoSDK). */
    public Future<Room> createRoom(String customRoomId, String webhookUrl, List<String> webhookEvents, JsonObject autoStartConfig,
                                   AutoClose autoClose) {
        return records.persist(records.create(customRoomId, webhookUrl, webhookEvents, autoStartConfig, autoClose));
    }

    /** The room id of a room named by its id or its customRoomId (unknown names come back as given). */
    public String canonicalId(String idOrCustom) {
        return records.canonicalId(idOrCustom);
    }

    /** Deactivates the room for good: it refuses joins from now on; an ongoing session goes on until it ends. */
    public Future<Room> deactivate(String roomId) {
        return records.persist(records.deactivate(roomId));
    }

    public Room room(String roomId) {
        return records.room(roomId);
    }

    public List<Room> rooms() {
        return records.list();
    }

    // ---- sessions ----

    public synchronized Session session(String sessionId) {
        Session s = Ids.isSafe(sessionId) ? sessions.get(sessionId) : null;
        if (s == null) throw Refusal.notFound("session", sessionId);
        return s;
    }

    /** JSON of a session, taken under the lock so it is consistent. */
    /** A session as the API gives it: with VideoSDK's {@code id} beside {@code sessionId}. */
    public synchronized JsonObject sessionJson(Session s) {
        return s.toJson().put("id", s.sessionId);
    }

    /** The session's participants, in join order; only those present now when {@code activeOnly}. */
    public synchronized List<JsonObject> participantsJson(Session s, boolean activeOnly) {
        List<JsonObject> list = new ArrayList<>();
        for (Participant p : s.participants.values()) if (!activeOnly || p.present()) list.add(p.toJson());
        return list;
    }

    /** Sessions of one room (or all when roomId is null), oldest first. */
    public synchronized List<Session> sessions(String roomId) {
        List<Session> list = new ArrayList<>();
        for (Session s : sessions.values()) {
            if (roomId == null || roomId.equals(s.roomId)) list.add(s);
        }
        list.sort(Comparator.comparing(Session::start).thenComparing(Session::sessionId));
        return list;
    }

    public synchronized Session activeSession(String roomId) {
        return active.get(roomId);
    }

    /** Who is in a session now (a snapshot, safe to read on any thread): id, name and tracks, in join order. */
    public record Present(String participantId, String name, List<Track> tracks) {
    }

    public synchronized List<Present> present(String sessionId) {
        Session s = sessions.get(sessionId);
        if (s == null) return List.of();
        List<Present> out = new ArrayList<>();
        for (Participant p : s.participants()) {
            if (p.present()) out.add(new Present(p.participantId(), p.name(), List.copyOf(p.tracks())));
        }
        return out;
    }

    public TrackBinding bySsrc(long ssrc) {
        return ssrcs.get(ssrc);
    }

    // ---- participants ----

    /**
     * Joins (or updates, if already present) a participant, starting a session when the room has none.
     * Tracks replace the participant's previous ones, so a screen share is added by joining again.
     */
    public Future<JoinResult> join(String roomId, String participantId, String name, List<Track> tracks) {
        Room room = room(roomId);
        if (room.disabled()) throw Refusal.conflict("room_deactivated", "room '" + roomId + "' was deactivated and takes no joins");
        Session session;
        Participant participant;
        boolean started = false;
        boolean entered;
        synchronized (this) {
            session = active.get(roomId);
            for (Track t : tracks) {
                TrackBinding owner = ssrcs.get(t.ssrc());
                if (owner != null && !(owner.roomId().equals(roomId) && owner.participantId().equals(participantId))) {
                    throw Refusal.conflict("ssrc_in_use", "ssrc " + t.ssrc() + " is already used by another track on this server");
                }
            }
            if (session != null && !session.participants.containsKey(participantId)
                    && session.participants.size() >= maxParticipantsPerRoom) {
                throw Refusal.limit("limit_exceeded",
                        "room '" + roomId + "' already has its maximum of " + maxParticipantsPerRoom + " participants");
            }
            if (session == null) {
                session = new Session(Ids.hex24(), roomId, now());
                sessions.put(session.sessionId, session);
                active.put(roomId, session);
                started = true;
            }
            cancelGrace(roomId);
            participant = session.participants.get(participantId);
            if (participant == null) {
                participant = new Participant(participantId, name, tracks);
                session.participants.put(participantId, participant);
            } else {
                unbindExcept(participant, tracks); // tracks that stay keep their binding, receiver and stats
                participant.name = name;
                participant.tracks = tracks;
            }
            entered = !participant.present();
            if (entered) participant.enter(now());
            bind(session, participant);
        }
        Session s = session;
        Participant p = participant;
        boolean sessionStarted = started;
        return persistSession(s).map(v -> {
            if (sessionStarted) {
                events.emit(room, "session-started", new JsonObject().put("roomId", roomId)
                        .put("sessionId", s.sessionId).put("start", s.start));
            }
            if (entered) events.emit(room, "participant-joined", participantEvent(s, p));
            return new JoinResult(s, p);
        });
    }

    public Future<Session> leave(String roomId, String participantId) {
        Room room = room(roomId);
        Session session;
        Participant participant;
        synchronized (this) {
            session = active.get(roomId);
            participant = session == null ? null : session.participants.get(participantId);
            if (participant == null || !participant.present()) {
                throw new Refusal(Refusal.Kind.NOT_FOUND, "not_found",
                        "participant '" + participantId + "' is not in a session of room '" + roomId + "'");
            }
            participant.exit(now());
            unbind(participant);
            if (session.presentCount() == 0) armGrace(session);
        }
        Session s = session;
        JsonObject data = participantEvent(s, participant);
        return persistSession(s).map(v -> {
            events.emit(room, "participant-left", data);
            return s;
        });
    }

    /** Ends the room's ongoing session now. */
    public Future<Session> endSession(String roomId) {
        room(roomId);
        Session s;
        synchronized (this) {
            s = active.get(roomId);
            if (s == null) throw Refusal.notFound("ongoing session of room", roomId);
        }
        return end(s);
    }

    private Future<Session> end(Session s) {
        Room room = records.get(s.roomId);
        List<JsonObject> left = new ArrayList<>();
        synchronized (this) {
            if (!s.ongoing()) return Future.succeededFuture(s);
            cancelGrace(s.roomId);
            String at = now();
            for (Participant p : s.participants.values()) {
                if (p.present()) {
                    p.exit(at);
                    unbind(p);
                    left.add(participantEvent(s, p));
                }
            }
            s.end = at;
            s.status = Session.ENDED;
            active.remove(s.roomId, s);
            for (TrackListener l : listeners) l.sessionEnded(s.roomId, s.sessionId);
        }
        return persistSession(s).map(v -> {
            for (JsonObject data : left) events.emit(room, "participant-left", data);
            events.emit(room, "session-ended", new JsonObject().put("roomId", s.roomId)
                    .put("sessionId", s.sessionId).put("start", s.start).put("end", s.end));
            return s;
        });
    }

    private JsonObject participantEvent(Session s, Participant p) {
        return new JsonObject().put("roomId", s.roomId).put("sessionId", s.sessionId)
                .put("participantId", p.participantId).put("name", p.name);
    }

    private void bind(Session s, Participant p) {
        for (Track t : p.tracks) {
            TrackBinding b = new TrackBinding(s.roomId, s.sessionId, p.participantId, t);
            if (b.equals(ssrcs.get(t.ssrc()))) continue;
            TrackBinding old = ssrcs.put(t.ssrc(), b);
            if (old != null) for (TrackListener l : listeners) l.unbound(old);
            for (TrackListener l : listeners) l.bound(b);
        }
    }

    private void unbind(Participant p) {
        unbindExcept(p, List.of());
    }

    private void unbindExcept(Participant p, List<Track> keep) {
        for (Track t : p.tracks) {
            if (keep.contains(t)) continue;
            TrackBinding b = ssrcs.get(t.ssrc());
            if (b != null && b.participantId().equals(p.participantId) && ssrcs.remove(t.ssrc(), b)) {
                for (TrackListener l : listeners) l.unbound(b);
            }
        }
    }

    private void armGrace(Session s) {
        cancelGrace(s.roomId);
        long id = vertx.setTimer(Math.max(1, graceMs), t -> {
            boolean expired;
            synchronized (this) {
                expired = graceTimers.remove(s.roomId, t) && s.ongoing() && s.presentCount() == 0;
            }
            if (expired) {
                end(s).onFailure(e -> LOG.warning("could not end session " + s.sessionId + ": " + e));
            }
        });
        graceTimers.put(s.roomId, id);
    }

    private void cancelGrace(String roomId) {
        Long id = graceTimers.remove(roomId);
        if (id != null) vertx.cancelTimer(id);
    }

    private Future<Void> persistSession(Session s) {
        JsonObject snapshot;
        synchronized (this) {
            snapshot = s.toJson();
        }
        return persister.write(SESSIONS_PREFIX + s.roomId + "/" + s.sessionId + ".json", snapshot);
    }

    /** Stops timers; sessions stay ongoing in the store and resume at the next start. */
    public synchronized void close() {
        for (Long id : graceTimers.values()) vertx.cancelTimer(id);
        graceTimers.clear();
    }
}
