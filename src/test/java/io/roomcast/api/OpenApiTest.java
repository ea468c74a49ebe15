package io.roomcast.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.roomcast.Roomcast;
import io.roomcast.support.TestNode;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** /openapi.yaml and the router describe the same endpoints, and the spec covers DESIGN.md's API. */
class OpenApiTest {
    @TempDir
    Path data;

    static JsonNode spec() throws Exception {
        try (InputStream in = OpenApiTest.class.getResourceAsStream("/openapi.yaml")) {
            return new ObjectMapper(new YAMLFactory()).readTree(in);
        }
    }

    static Set<String> specOperations(JsonNode spec) {
        Set<String> ops = new TreeSet<>();
        for (Iterator<String> it = spec.get("paths").fieldNames(); it.hasNext(); ) {
            String path = it.next();
            for (Iterator<String> m = spec.get("paths").get(path).fieldNames(); m.hasNext(); ) {
                ops.add(m.next().toUpperCase() + " " + path);
            }
        }
        return ops;
    }

    @Test
    void routerAndSpecAgree() throws Exception {
        JsonNode spec = spec();
        assertTrue(spec.get("openapi").asText().startsWith("3."));
        Set<String> routed = new TreeSet<>();
        try (Roomcast node = TestNode.start(data)) {
            for (Route route : node.api().router().getRoutes()) {
                if (route.getPath() == null || route.methods() == null || route.methods().isEmpty()) continue;
                if (route.getPath().equals("/v2/")) continue; // the auth and body filters
                String path = route.getPath().replaceAll(":([A-Za-z]+)", "{$1}");
                for (HttpMethod m : route.methods()) routed.add(m.name() + " " + path);
            }
        }
        assertEquals(specOperations(spec), routed);
    }

    @Test
    void specCoversTheDesignContract() throws Exception {
        Set<String> ops = specOperations(spec());
        for (String op : new String[] {
                "POST /v2/rooms", "GET /v2/rooms", "GET /v2/rooms/{roomId}", "GET /v2/sessions",
                "GET /v2/sessions/{sessionId}", "POST /v2/sessions/end", "POST /v2/rooms/{roomId}/participants",
                "DELETE /v2/rooms/{roomId}/participants/{participantId}",
                "GET /v2/rooms/{roomId}/participants/{participantId}/stats", "POST /v2/rooms/{roomId}/layout",
                "POST /v2/recordings/start", "POST /v2/recordings/end", "GET /v2/recordings", "GET /v2/recordings/{id}",
                "POST /v2/livestreams/start", "POST /v2/livestreams/end", "GET /v2/livestreams",
                "POST /v2/hls/start", "POST /v2/hls/end", "GET /v2/hls",
                "POST /v2/transcription/start", "POST /v2/transcription/end", "GET /v2/rooms/{roomId}/captions",
                "GET /v2/rooms/{roomId}/captions/ws", "POST /v2/transcriptions", "GET /v2/transcriptions",
                "GET /v2/transcriptions/{id}", "GET /v2/transcriptions/{id}/download",
                "GET /health", "GET /ready", "GET /metrics", "GET /openapi.yaml"}) {
            assertTrue(ops.contains(op), "spec lacks " + op);
        }
    }
}
