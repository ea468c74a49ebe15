package io.roomcast.storage;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes JSON manifests to the store so that writes to one key land in the order they were made (a
 * later state never gets overwritten by an earlier one that was slower), while different keys go in
 * parallel. Callers snapshot the JSON at call time.
 */
public final class Persister {
    private final ObjectStore store;
    private final Map<String, Future<Void>> tails = new HashMap<>();

    public Persister(ObjectStore store) {
        this.store = store;
    }

    public synchronized Future<Void> write(String key, JsonObject snapshot) {
        Future<Void> previous = tails.getOrDefault(key, Future.succeededFuture());
        Future<Void> next = previous.transform(ignored -> store.putJson(key, snapshot));
        tails.put(key, next);
        next.onComplete(ar -> {
            synchronized (this) {
                tails.remove(key, next);
            }
        });
        return next;
    }

    /** Completes when every write made so far has landed (or failed): on shutdown, before the store closes. */
    public synchronized Future<Void> drain() {
        List<Future<Void>> pending = new ArrayList<>(tails.values());
        return Future.join(pending).transform(ignored -> Future.succeededFuture());
    }
}
