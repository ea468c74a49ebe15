package io.roomcast.storage;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Shutdown's order, against the real embedded store: manifests written without waiting (as the
 * outputs' status listeners write them), then {@link Persister#drain}, then the store closes; every
 * write landed, the last state of each key included.
 */
class PersisterTest {
    @TempDir
    Path data;

    @Test
    void drainWaitsForEveryWriteBeforeTheStoreCloses() throws Exception {
        Vertx vertx = Vertx.vertx();
        try (EmbeddedS3 s3 = EmbeddedS3.start(data, "127.0.0.1", 0, "ak", "secret-key-0123", "roomcast")) {
            ObjectStore store = new ObjectStore(vertx, s3.endpoint(), "us-east-1", "ak", "secret-key-0123", "roomcast", true, Duration.ofHours(1));
            store.ensureBucket().await(30, TimeUnit.SECONDS);
            Persister persister = new Persister(store);
            for (int i = 0; i < 40; i++) {
                persister.write("meta/t/" + i + ".json", new JsonObject().put("i", i).put("status", "started"));
                persister.write("meta/t/" + i + ".json", new JsonObject().put("i", i).put("status", "stopped"));
            }
            persister.drain().await(30, TimeUnit.SECONDS);
            store.close();

            ObjectStore again = new ObjectStore(vertx, s3.endpoint(), "us-east-1", "ak", "secret-key-0123", "roomcast", true, Duration.ofHours(1));
            try {
                for (int i = 0; i < 40; i++) {
                    JsonObject j = again.getJson("meta/t/" + i + ".json").await(30, TimeUnit.SECONDS);
                    assertNotNull(j, "manifest " + i + " was lost at close");
                    assertEquals("stopped", j.getString("status"), j.encode());
                }
            } finally {
                again.close();
            }
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }
}
