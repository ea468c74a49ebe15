package io.roomcast;

import io.roomcast.support.Api;
import io.roomcast.support.Golden;
import io.roomcast.support.Media;
import io.roomcast.support.RtpSender;
import io.roomcast.support.TestNode;
import io.roomcast.support.Tokens;
import io.roomcast.support.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The safety net of a redesign: every API answer, webhook payload and stored manifest of one room's
 * life (join, recording + HLS + RTMP + live transcription, layout, errors, restart) equals
 * {@code golden/lifecycle.json} once ids, times and measured figures are masked; and manifests
 * written by an earlier version ({@code golden/store-v1/}) still load and answer as
 * {@code golden/stored.json}. {@code -Dgolden.update=true} writes both anew (review the diff).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GoldenJsonTest {
    private static final Path FIXTURES = Path.of("src/test/resources/golden/store-v1");
    private static final List<String> HOOKS = List.of("session-started", "participant-joined", "recording-starting",
            "recording-started", "recording-stopping", "recording-stopped", "hls-starting", "hls-started", "hls-playable",
            "hls-stopping", "hls-stopped", "livestream-stopping",
            "livestream-starting", "livestream-started", "livestream-stopped", "transcription-started",
            "transcription-stopped", "participant-left", "session-ended");

    @TempDir
    Path data;

    @Test
    @Order(1)
    void aRoomsLifeAnswersAsBefore() throws Exception {
        Golden g = new Golden("lifecycle");
        String room;
        String session;
        List<String> jsonKeys;
        try (WebhookReceiver hooks = new WebhookReceiver(); ServerSocket free = new ServerSocket(0)) {
            int rtmpPort = free.getLocalPort();
            free.close();
            Roomcast node = TestNode.start(data);
            try {
                Api api = new Api(node.httpPort(), Tokens.admin());
                Api.Response created = api.post("/v2/rooms", new JsonObject().put("customRoomId", "golden-room")
                        .put("webhook", new JsonObject().put("url", hooks.url())));
                g.step("01 POST rooms", created.json());
                room = created.json().getString("roomId");
                g.step("02 GET rooms/{id}", api.get("/v2/rooms/" + room).json());
                JsonArray tracks = new JsonArray()
                        .add(new JsonObject().put("kind", "audio").put("codec", "opus").put("ssrc", 31).put("payloadType", 111))
                        .add(new JsonObject().put("kind", "video").put("codec", "vp8").put("ssrc", 32).put("payloadType", 96));
                Api.Response joined = api.post("/v2/rooms/" + room + "/participants",
                        new JsonObject().put("participantId", "ada").put("name", "Ada").put("tracks", tracks));
                g.step("03 POST participants", joined.json());
                session = joined.json().getString("sessionId");
                try (RtpSender a = RtpSender.opus(node.rtpPort(), 31, 111);
                     RtpSender v = RtpSender.video(node.rtpPort(), 32, 96, "vp8", 320, 240);
                     // After the senders: a listening FFmpeg holds JavaCV's codec lock until a push arrives.
                     Media.RtmpListener rtmp = new Media.RtmpListener(rtmpPort, "live/key")) {
                    a.startTestSignal(12);
                    v.startTestSignal(12);
                    Thread.sleep(800);
                    g.step("04 GET stats", api.get("/v2/rooms/" + room + "/participants/ada/stats").json());
                    g.step("05 GET sessions/{id} ongoing", api.get("/v2/sessions/" + session).json());
                    g.step("06 POST layout", api.post("/v2/rooms/" + room + "/layout", new JsonObject().put("pin", "ada")).json());
                    g.step("07 POST transcription/start", api.post("/v2/transcription/start", new JsonObject().put("roomId", room)).json());
                    Api.Response rec = api.post("/v2/recordings/start", new JsonObject().put("roomId", room).put("preset", "grid-360p"));
                    g.step("08 POST recordings/start", rec.json());
                    String recId = rec.json().getString("id");
                    g.step("09 POST hls/start", api.post("/v2/hls/start", new JsonObject().put("roomId", room).put("preset", "grid-360p")).json());
                    g.step("10 POST livestreams/start", api.post("/v2/livestreams/start", new JsonObject().put("roomId", room)
                            .put("preset", "grid-360p").put("outputs", new JsonArray().add(new JsonObject()
                                    .put("url", "rtmp://127.0.0.1:" + rtmpPort + "/live").put("streamKey", "key")))).json());
                    g.step("11 POST recordings/start again", api.post("/v2/recordings/start", new JsonObject().put("roomId", room)).json());
                    g.step("12 POST recordings/start bad preset", api.post("/v2/recordings/start",
                            new JsonObject().put("roomId", room).put("preset", "no-such-preset")).json());
                    api.waitFor("/v2/recordings/" + recId, "status", "started", 15_000);
                    hooks.await("livestream-started", 1, 15_000);
                    hooks.await("hls-playable", 1, 15_000);
                    g.step("13 GET recordings/{id} started", api.get("/v2/recordings/" + recId).json());
                    g.step("14 GET livestreams?roomId started", api.get("/v2/livestreams?roomId=" + room).json());
                    Thread.sleep(2500);
                    g.step("15 POST livestreams/end", pushesRacing(api.post("/v2/livestreams/end", new JsonObject().put("roomId", room)).json()));
                    g.step("16 POST hls/end", api.post("/v2/hls/end", new JsonObject().put("roomId", room)).json());
                    g.step("17 POST recordings/end", api.post("/v2/recordings/end", new JsonObject().put("roomId", room)).json());
                    g.step("18 POST transcription/end", api.post("/v2/transcription/end", new JsonObject().put("roomId", room)).json());
                    api.waitFor("/v2/recordings/" + recId, "status", "stopped", 30_000);
                    hooks.await("hls-stopped", 1, 15_000);
                    hooks.await("livestream-stopped", 1, 15_000);
                    g.step("19 POST recordings/end none", api.post("/v2/recordings/end", new JsonObject().put("roomId", room)).json());
                    g.step("20 GET recordings/{id} missing", api.get("/v2/recordings/0123456789abcdef01234567").json());
                    g.step("21 GET no token", api.as(null).get("/v2/rooms").json());
                }
                lists(g, "22 ", api, room, session);
                g.step("23 DELETE participant", api.delete("/v2/rooms/" + room + "/participants/ada").json());
                hooks.await("session-ended", 1, 15_000);
                g.step("24 GET sessions/{id} ended", api.get("/v2/sessions/" + session).json());
                g.step("25 GET captions", api.get("/v2/rooms/" + room + "/captions").json());
                for (String type : HOOKS) {
                    JsonObject hook = hooks.await(type, 1, 15_000).get(0).json();
                    // Sent with the end answer, so as racy as it is.
                    if (type.equals("livestream-stopping")) pushesRacing(hook.getJsonObject("data"));
                    g.step("hook " + type, hook);
                }
                node.awaitRecovery(10_000);
                jsonKeys = node.store().listKeys("").await(30, TimeUnit.SECONDS).stream()
                        .filter(k -> k.endsWith(".json")).sorted().toList();
                for (String k : jsonKeys) g.step("store " + k, node.store().getJson(k).await(30, TimeUnit.SECONDS));
                if (Boolean.getBoolean("golden.update") && !Files.isDirectory(FIXTURES)) keepFixtures(node, jsonKeys);
            } finally {
                node.stop();
            }
        }
        Roomcast again = TestNode.start(data);
        try {
            again.awaitRecovery(10_000);
            lists(g, "30 after restart ", new Api(again.httpPort(), Tokens.admin()), room, session);
        } finally {
            again.stop();
        }
        g.verify();
    }

    /**
     * The end answer lists each push as it is at that moment: it stops on its own thread, so before
     * the answer is written or just after (a race in every version, seen both ways).
     */
    static JsonObject pushesRacing(JsonObject livestream) {
        if (livestream.containsKey("end")) livestream.put("end", "<racy>");
        for (Object o : livestream.getJsonArray("outputs", new JsonArray())) {
            ((JsonObject) o).put("status", "<racy>").put("end", "<racy>");
        }
        return livestream;
    }

    private static void lists(Golden g, String prefix, Api api, String room, String session) {
        g.step(prefix + "GET rooms", api.get("/v2/rooms").json());
        g.step(prefix + "GET sessions?roomId", api.get("/v2/sessions?roomId=" + room).json());
        g.step(prefix + "GET recordings?roomId", api.get("/v2/recordings?roomId=" + room).json());
        g.step(prefix + "GET recordings?sessionId", api.get("/v2/recordings?roomId=" + room + "&sessionId=" + session).json());
        g.step(prefix + "GET hls?roomId", api.get("/v2/hls?roomId=" + room).json());
        g.step(prefix + "GET hls", api.get("/v2/hls").json());
        g.step(prefix + "GET livestreams?roomId", api.get("/v2/livestreams?roomId=" + room).json());
    }

    /**
     * With -Dgolden.update and no fixtures yet: the manifests as this version stores them, kept for
     * the next test. Once committed they stay as they are: they stand for what older nodes wrote.
     */
    private static void keepFixtures(Roomcast node, List<String> keys) throws Exception {
        for (String k : keys) {
            Path f = FIXTURES.resolve(k);
            Files.createDirectories(f.getParent());
            Files.writeString(f, node.store().getJson(k).await(30, TimeUnit.SECONDS).encodePrettily() + "\n");
        }
    }

    @Test
    @Order(2)
    void manifestsStoredByAnEarlierVersionStillLoad() throws Exception {
        List<Path> files;
        try (Stream<Path> all = Files.walk(FIXTURES)) {
            files = all.filter(Files::isRegularFile).sorted().toList();
        }
        Roomcast node = TestNode.start(data);
        try {
            for (Path f : files) {
                String key = FIXTURES.relativize(f).toString().replace('\\', '/');
                node.store().putJson(key, new JsonObject(Files.readString(f))).await(30, TimeUnit.SECONDS);
            }
        } finally {
            node.stop();
        }
        Golden g = new Golden("stored");
        Roomcast again = TestNode.start(data);
        try {
            again.awaitRecovery(10_000);
            Api api = new Api(again.httpPort(), Tokens.admin());
            JsonObject rooms = api.get("/v2/rooms").json();
            assertEquals(1, rooms.getJsonArray("data").size(), rooms.encode());
            String room = rooms.getJsonArray("data").getJsonObject(0).getString("roomId");
            String session = api.get("/v2/sessions?roomId=" + room).json().getJsonArray("data").getJsonObject(0).getString("sessionId");
            lists(g, "", api, room, session);
            List<String> ids = new ArrayList<>();
            for (Object o : api.get("/v2/recordings?roomId=" + room).json().getJsonArray("data")) ids.add(((JsonObject) o).getString("id"));
            for (String id : ids) g.step("GET recordings/" + id, api.get("/v2/recordings/" + id).json());
            g.step("GET sessions/{id}", api.get("/v2/sessions/" + session).json());
        } finally {
            again.stop();
        }
        g.verify();
    }
}
