package io.roomcast;

import io.roomcast.support.Api;
import io.roomcast.support.JarProcess;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code java -jar target/roomcast.jar} as a user runs it: env config, a minted token, restarts. */
class JarIT {
    @TempDir
    Path work;

    Map<String, String> env() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("ROOMCAST_HTTP_PORT", Integer.toString(JarProcess.freePort()));
        env.put("ROOMCAST_S3_PORT", Integer.toString(JarProcess.freePort()));
        env.put("ROOMCAST_RTP_PORT", Integer.toString(JarProcess.freePort()));
        env.put("ROOMCAST_DATA_DIR", work.resolve("data").toString());
        env.put("ROOMCAST_JWT_SECRET", "jar-test-secret-that-is-long-enough-for-hs256");
        return env;
    }

    String mint(Map<String, String> env, String... extra) throws Exception {
        String[] args = new String[extra.length + 1];
        args[0] = "token";
        System.arraycopy(extra, 0, args, 1, extra.length);
        Process p = JarProcess.command(work, env, args).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
        return out;
    }

    @Test
    void startsCreatesJoinsAndSurvivesKillNine() throws Exception {
        Map<String, String> env = env();
        String roomId;
        try (JarProcess node = JarProcess.start(work, env)) {
            Api api = new Api(node.httpPort, mint(env));
            Api.Response created = api.post("/v2/rooms", new JsonObject().put("customRoomId", "jar"));
            assertEquals(200, created.status(), created.body());
            roomId = created.json().getString("roomId");
            Api.Response joined = api.post("/v2/rooms/" + roomId + "/participants", new JsonObject()
                    .put("participantId", "p1").put("name", "P One").put("tracks", new JsonArray().add(new JsonObject()
                            .put("kind", "audio").put("codec", "opus").put("ssrc", 42).put("payloadType", 111))));
            assertEquals(200, joined.status(), joined.body());
            assertEquals(Integer.parseInt(env.get("ROOMCAST_RTP_PORT")),
                    joined.json().getJsonObject("ingest").getInteger("port"));
            // A token from another secret is refused; a room token cannot reach beyond its room.
            assertEquals(401, api.as(mint(Map.of())).get("/v2/rooms").status());
            assertEquals(403, api.as(mint(env, "--room", "someotherroom")).get("/v2/rooms/" + roomId).status());
            assertTrue(Files.isDirectory(work.resolve("data").resolve("s3")), "the embedded store keeps its data under the data dir");
            node.kill();
        }
        try (JarProcess node = JarProcess.start(work, env)) {
            Api api = new Api(node.httpPort, mint(env));
            JsonObject room = api.get("/v2/rooms/" + roomId).json();
            assertEquals("jar", room.getString("customRoomId"));
            JsonObject sessions = api.get("/v2/sessions?roomId=" + roomId).json();
            assertEquals(1, sessions.getJsonArray("data").size(), "the session from before the kill is listed");
            int code = node.terminate();
            assertTrue(code == 0 || code == 143, "exit code after SIGTERM: " + code);
            assertTrue(node.log().contains("Roomcast stopped"), "the shutdown hook ran to the end");
        }
    }

    @Test
    void badConfigurationStopsWithTheKeyNamed() throws Exception {
        Map<String, String> env = env();
        env.put("ROOMCAST_HTTP_PORT", "not-a-port");
        Process p = JarProcess.command(work, env).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue());
        assertTrue(out.contains("'http.port'") && out.contains("ROOMCAST_HTTP_PORT"), out);

        Path file = work.resolve("custom.json");
        Files.writeString(file, "{\"s3\": {\"bukket\": \"x\"}}");
        Process q = JarProcess.command(work, env(), "--config", file.toString()).redirectErrorStream(true).start();
        String out2 = new String(q.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(q.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, q.exitValue());
        assertTrue(out2.contains("'s3.bukket'"), out2);
    }
}
