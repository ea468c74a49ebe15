package io.roomcast.room;

import io.roomcast.errors.Refusal;
import io.roomcast.storage.Persister;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The rooms this node holds, by id, with their manifests in the store ({@code meta/rooms/{id}.json}).
 * A room is also found by its {@code customRoomId}. Mutations are synchronized; reads are not.
 */
final class RoomRecords {
    static final String PREFIX = "meta/rooms/";

    private final Map<String, Room> rooms = new ConcurrentHashMap<>();
    /** customRoomId to roomId: every path and body naming a room looks here, so no scan of all rooms. */
    private final Map<String, String> byCustomId = new ConcurrentHashMap<>();
    private final Persister persister;
    private final int maxRooms;
    private volatile String node;

    RoomRecords(Persister persister, int maxRooms) {
        this.persister = persister;
        this.maxRooms = maxRooms;
    }

    /** In a cluster: this node's name, written into the manifests of the rooms it owns. */
    void node(String name) {
        this.node = name;
    }

    /** Whether a stored manifest is this node's to load (always, outside a cluster). */
    boolean ours(JsonObject manifest) {
        return node == null || node.equals(manifest.getString("node"));
    }

    boolean contains(String roomId) {
        return roomId != null && rooms.containsKey(roomId);
    }

    Room get(String roomId) {
        return rooms.get(roomId);
    }

    void put(Room room) {
        rooms.put(room.roomId(), room);
        if (room.customRoomId() != null) byCustomId.putIfAbsent(room.customRoomId(), room.roomId());
    }

    void remove(String roomId) {
        Room room = rooms.remove(roomId);
        if (room != null && room.customRoomId() != null) byCustomId.remove(room.customRoomId(), roomId);
    }

    int size() {
        return rooms.size();
    }

    /** A new room, or the existing one of this {@code customRoomId}. */
    synchronized Room create(String customRoomId, String webhookUrl, List<String> webhookEvents, JsonObject autoStartConfig,
                        AutoClose autoClose) {
        Room existing = customRoomId == null ? null : byCustomId(customRoomId);
        if (existing != null) return existing;
        if (rooms.size() >= maxRooms) {
            throw Refusal.limit("limit_exceeded", "this server holds its maximum of " + maxRooms + " rooms");
        }
        String id;
        do {
            id = Ids.roomId();
        } while (rooms.containsKey(id));
        Room room = new Room(id, customRoomId, Instant.now().toString(), webhookUrl, webhookEvents, false, autoStartConfig, autoClose);
        put(room);
        return room;
    }

    synchronized Room deactivate(String roomId) {
        Room room = room(roomId).deactivated();
        rooms.put(roomId, room);
        return room;
    }

    Future<Room> persist(Room room) {
        JsonObject j = room.toJson();
        if (node != null) j.put("node", node);
        return persister.write(PREFIX + room.roomId() + ".json", j).map(room);
    }

    private Room byCustomId(String customRoomId) {
        String id = byCustomId.get(customRoomId);
        return id == null ? null : rooms.get(id);
    }

    String canonicalId(String idOrCustom) {
        if (idOrCustom == null || rooms.containsKey(idOrCustom)) return idOrCustom;
        Room r = byCustomId(idOrCustom);
        return r == null ? idOrCustom : r.roomId();
    }

    Room room(String roomId) {
        Room room = Ids.isSafe(roomId) ? rooms.get(roomId) : null;
        if (room == null) throw Refusal.notFound("room", roomId);
        return room;
    }

    List<Room> list() {
        List<Room> list = new ArrayList<>(rooms.values());
        list.sort(Comparator.comparing(Room::createdAt).thenComparing(Room::roomId));
        return list;
    }
}
