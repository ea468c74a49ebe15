package io.roomcast.output;

import io.roomcast.room.Ids;
import io.roomcast.storage.ObjectStore;
import io.roomcast.storage.Persister;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The manifests of one kind of output ({@code meta/recordings/}, {@code meta/hls/},
 * {@code meta/livestreams/}): every output's last known state by id, finished ones and those of
 * earlier runs included, written through to the store in order ({@link Persister}) so a restarted
 * node lists what existed. Safe from any thread.
 */
public final class ManifestStore {
    private final ObjectStore store;
    private final Persister persister;
    private final String prefix;
    private final Map<String, Manifest> byId = new ConcurrentHashMap<>();

    public ManifestStore(ObjectStore store, Persister persister, String prefix) {
        this.store = store;
        this.persister = persister;
        this.prefix = prefix;
    }

    /** Keeps and stores a manifest; the future completes when the store has it. */
    public Future<Void> put(JsonObject json) {
        Manifest m = Manifest.of(json);
        byId.put(m.id(), m);
        return persister.write(prefix + m.id() + ".json", json);
    }

    /** The manifest of an id, or null (also for an id that could not be one). */
    public Manifest get(String id) {
        return Ids.isSafe(id) ? byId.get(id) : null;
    }

    public List<Manifest> all() {
        return new ArrayList<>(byId.values());
    }

    /** Newest first, filtered by room and session when given. */
    public List<Manifest> list(String roomId, String sessionId) {
        return byId.values().stream()
                .filter(m -> roomId == null || roomId.equals(m.roomId()))
                .filter(m -> sessionId == null || sessionId.equals(m.sessionId()))
                .sorted(Comparator.comparing(Manifest::createdAt).reversed())
                .toList();
    }

    /** Reads every stored manifest of rooms this node holds. */
    public Future<Void> load(Predicate<String> roomIsHere) {
        return store.listKeys(prefix).compose(keys -> {
            List<Future<JsonObject>> all = new ArrayList<>();
            for (String k : keys) if (k.endsWith(".json")) all.add(store.getJson(k));
            return Future.all(all).map(cf -> {
                for (Future<JsonObject> f : all) {
                    JsonObject j = f.result();
                    if (j != null && j.getString("id") != null && roomIsHere.test(j.getString("roomId"))) {
                        byId.put(j.getString("id"), Manifest.of(j));
                    }
                }
                return null;
            });
        });
    }

    /** Reads the manifests of rooms here, then hands {@code recover} which of them to finish (all). */
    public Future<Void> load(Predicate<String> roomIsHere, Consumer<Predicate<Manifest>> recover) {
        return load(roomIsHere).onSuccess(v -> recover.accept(m -> true));
    }

    /** Blocking: the manifests of taken-over rooms are read, then {@code recover} finishes theirs. */
    public void loadRooms(Set<String> roomIds, Consumer<Predicate<Manifest>> recover) throws Exception {
        load(roomIds::contains).await(120, TimeUnit.SECONDS);
        recover.accept(m -> roomIds.contains(m.roomId()));
    }

    /** The room moved to another node: its finished outputs are listed there now. */
    public void forgetFinished(String roomId) {
        byId.values().removeIf(m -> roomId.equals(m.roomId()) && m.status().terminal());
    }
}
