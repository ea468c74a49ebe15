package io.roomcast;

import io.roomcast.storage.EmbeddedS3;
import io.roomcast.support.Api;
import io.roomcast.support.ClusterKeys;
import io.roomcast.support.JarProcess;
import io.roomcast.support.Media;
import io.roomcast.support.RtpFuzz;
import io.roomcast.support.RtpSender;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code java -jar target/roomcast.jar} as a user runs it: env config, a minted token, restarts. */
class JarIT {
    @TempDir
    Path work;

    Map<String, String> env() throws Exception {
        return JarProcess.env(work.resolve("data"), "jar-test-secret-that-is-long-enough-for-hs256");
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

    /**
     * A minute of hostile datagrams (noise and mutated RTP for registered SSRCs) at the jar: the
     * process stays up, its resident memory levels off, and a real participant afterwards decodes.
     */
    @Test
    void aMinuteOfFuzzNeitherCrashesNorLeaks() throws Exception {
        Map<String, String> env = env();
        int rtpPort = Integer.parseInt(env.get("ROOMCAST_RTP_PORT"));
        try (JarProcess node = JarProcess.start(work, env)) {
            Api api = new Api(node.httpPort, mint(env));
            String room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
            assertEquals(200, api.post("/v2/rooms/" + room + "/participants", new JsonObject().put("participantId", "fuzz").put("name", "Fuzz")
                    .put("tracks", new JsonArray()
                            .add(new JsonObject().put("kind", "audio").put("codec", "opus").put("ssrc", 0x7001).put("payloadType", 111))
                            .add(new JsonObject().put("kind", "video").put("codec", "vp8").put("ssrc", 0x7002).put("payloadType", 96))
                            .add(new JsonObject().put("kind", "video").put("codec", "h264").put("ssrc", 0x7003).put("payloadType", 102))))
                    .status());
            RtpFuzz fuzz = new RtpFuzz(7, 0x7001, 0x7002, 0x7003);
            List<Long> rss = new ArrayList<>();
            long sent = 0;
            try (DatagramSocket s = new DatagramSocket()) {
                InetAddress to = InetAddress.getLoopbackAddress();
                long t0 = System.nanoTime();
                long nextSample = 10;
                while (true) {
                    double elapsed = (System.nanoTime() - t0) / 1e9;
                    if (elapsed >= 60) break;
                    if (elapsed >= nextSample) {
                        rss.add(rssKb(node.pid()));
                        nextSample += 10;
                    }
                    byte[] d = fuzz.next();
                    s.send(new DatagramPacket(d, d.length, to, rtpPort));
                    if (++sent % 10 == 0) Thread.sleep(1); // about 8 000 datagrams/s
                }
            }
            rss.add(rssKb(node.pid()));
            System.out.println("FUZZ " + sent + " datagrams in 60 s; RSS kB every 10 s: " + rss);
            assertEquals(200, api.as(null).get("/health").status(), "alive after the fuzz");
            JsonObject v = api.trackStats(room, "fuzz", "video");
            assertTrue(v.getLong("packets") > 10_000, "the fuzz reached the decoders: " + v);
            // Memory levels off once the JVM and the decoders are warm: the last 30 s add < 48 MB.
            long growth = rss.get(rss.size() - 1) - rss.get(2);
            assertTrue(growth < 48 * 1024, "RSS grew " + growth / 1024 + " MB over the last 30 s of fuzz: " + rss);

            assertEquals(200, api.post("/v2/rooms/" + room + "/participants", new JsonObject().put("participantId", "real").put("name", "Real")
                    .put("tracks", new JsonArray()
                            .add(new JsonObject().put("kind", "audio").put("codec", "opus").put("ssrc", 0x7101).put("payloadType", 111))))
                    .status());
            try (RtpSender a = RtpSender.opus(rtpPort, 0x7101, 111)) {
                a.startTestSignal(3);
                a.join();
            }
            Thread.sleep(500);
            JsonObject a = api.trackStats(room, "real", "audio");
            assertTrue(a.getLong("framesDecoded") >= 140, "a real participant after the fuzz: " + a);
        }
    }

    /**
     * Two {@code java -jar} nodes form a cluster over one S3 server. A room created through one is
     * joined and recorded through the other; then the node running it is killed (-9): the survivor
     * takes the room over, finalizes the interrupted recording from its uploaded parts, and places
     * the next join on itself.
     */
    @Test
    void twoJarsFormAClusterAndTheSurvivorFinalizesALostNodesRecording() throws Exception {
        int s3port = JarProcess.freePort();
        int ca = JarProcess.freePort();
        int cb = JarProcess.freePort();
        String members = "127.0.0.1:" + ca + ",127.0.0.1:" + cb;
        try (EmbeddedS3 s3 = EmbeddedS3.start(work.resolve("s3"), "127.0.0.1", s3port,
                "roomcast-dev", "roomcast-dev-secret-key", "roomcast")) {
            Map<String, String> envA = env();
            Map<String, String> envB = env();
            envA.put("ROOMCAST_DATA_DIR", work.resolve("a").toString());
            envB.put("ROOMCAST_DATA_DIR", work.resolve("b").toString());
            Path clusterKeys = ClusterKeys.generate(work, "roomcast-cluster");
            for (Map<String, String> e : List.of(envA, envB)) {
                ClusterKeys.putEnv(e, ClusterKeys.SECRET, clusterKeys);
                e.put("ROOMCAST_CLUSTER", "true");
                e.put("ROOMCAST_CLUSTER_MEMBERS", members);
                e.put("ROOMCAST_S3_ENDPOINT", s3.endpoint().toString());
            }
            envA.put("ROOMCAST_CLUSTER_PORT", Integer.toString(ca));
            envB.put("ROOMCAST_CLUSTER_PORT", Integer.toString(cb));
            try (JarProcess a = JarProcess.start(work, envA); JarProcess b = JarProcess.start(work, envB)) {
                Api viaA = new Api(a.httpPort, mint(envA));
                Api viaB = new Api(b.httpPort, mint(envB));
                String room = viaA.post("/v2/rooms", new JsonObject()).json().getString("roomId");
                Api.Response joined = viaB.post("/v2/rooms/" + room + "/participants", new JsonObject().put("participantId", "p1")
                        .put("name", "P One").put("tracks", new JsonArray()
                                .add(new JsonObject().put("kind", "audio").put("codec", "opus").put("ssrc", 61).put("payloadType", 111))
                                .add(new JsonObject().put("kind", "video").put("codec", "vp8").put("ssrc", 62).put("payloadType", 96))));
                assertEquals(200, joined.status(), joined.body());
                int rtp = joined.json().getJsonObject("ingest").getInteger("port");
                boolean aOwns = rtp == Integer.parseInt(envA.get("ROOMCAST_RTP_PORT"));
                assertTrue(aOwns || rtp == Integer.parseInt(envB.get("ROOMCAST_RTP_PORT")), "the join names a node: " + joined.body());
                JarProcess owner = aOwns ? a : b;
                Api survivor = aOwns ? viaB : viaA;
                Map<String, String> survivorEnv = aOwns ? envB : envA;
                String rec;
                double sent;
                try (RtpSender au = RtpSender.opus(rtp, 61, 111);
                     RtpSender v = RtpSender.video(rtp, 62, 96, "vp8", 640, 360).talkingHead()) {
                    au.startTestSignal(20);
                    v.startTestSignal(20);
                    rec = startGridRecording(survivor, room);
                    long t0 = System.nanoTime();
                    Thread.sleep(8000);
                    sent = (System.nanoTime() - t0) / 1e9;
                    long killedAt = System.nanoTime();
                    owner.kill();
                    JsonObject done = waitForRecording(survivor, rec, "stopped", 90_000);
                    System.out.printf("CLUSTER node lost: the survivor finalized the recording %.1f s after the kill%n",
                            (System.nanoTime() - killedAt) / 1e9);
                    assertTrue(done.getBoolean("interrupted"), done.encode());
                    Media.Probe p = Media.probe(Media.download(done.getJsonObject("file").getString("fileUrl"),
                            work.resolve("lost.mp4")).toString());
                    assertEquals("h264", p.videoCodec());
                    assertTrue(p.seconds() >= sent - 2.0 && p.seconds() <= sent + 0.5, p.seconds() + " s kept of " + sent + " s");
                }
                assertEquals(room, survivor.get("/v2/rooms/" + room).json().getString("roomId"), "the survivor serves the room");
                Api.Response again = survivor.post("/v2/rooms/" + room + "/participants", new JsonObject().put("participantId", "p1")
                        .put("name", "P One").put("tracks", new JsonArray()
                                .add(new JsonObject().put("kind", "audio").put("codec", "opus").put("ssrc", 63).put("payloadType", 111))));
                assertEquals(200, again.status(), again.body());
                assertEquals(Integer.parseInt(survivorEnv.get("ROOMCAST_RTP_PORT")), again.json().getJsonObject("ingest").getInteger("port"),
                        "the next join is placed on the live node");
                assertTrue(!again.json().getString("sessionId").equals(joined.json().getString("sessionId")), "a new session");
            }
        }
    }

    static long rssKb(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        throw new IllegalStateException("no VmRSS for " + pid);
    }

    /** A 360p grid recording of the room, once it has started. */
    static String startGridRecording(Api api, String roomId) throws InterruptedException {
        String id = api.post("/v2/recordings/start", new JsonObject().put("roomId", roomId).put("preset", "grid-360p"))
                .json().getString("id");
        waitForRecording(api, id, "started", 15_000);
        return id;
    }

    static JsonObject waitForRecording(Api api, String id, String status, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        JsonObject last = null;
        while (System.currentTimeMillis() < deadline) {
            Api.Response r = api.get("/v2/recordings/" + id);
            if (r.status() == 200) {
                last = r.json();
                if (status.equals(last.getString("status"))) return last;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("recording " + id + " never became " + status + ": " + last);
    }

    /**
     * kill -9 while a recording is paused: after a restart on the same data dir the recording is
     * listed, finalized from the parts uploaded before the crash (everything before the pause); then a
     * SIGTERM in the middle of another recording finalizes it completely before the process exits.
     */
    @Test
    void recordingSurvivesKillNineAndSigtermFinalizes() throws Exception {
        Map<String, String> env = env();
        String roomId;
        String firstId;
        double recordedBeforeKill;
        try (JarProcess node = JarProcess.start(work, env);
             RtpSender a = RtpSender.opus(Integer.parseInt(env.get("ROOMCAST_RTP_PORT")), 51, 111);
             RtpSender v = RtpSender.video(Integer.parseInt(env.get("ROOMCAST_RTP_PORT")), 52, 96, "vp8", 640, 360).talkingHead()) {
            Api api = new Api(node.httpPort, mint(env));
            roomId = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
            assertEquals(200, api.post("/v2/rooms/" + roomId + "/participants", new JsonObject().put("participantId", "p1")
                    .put("name", "P One").put("tracks", new JsonArray()
                            .add(new JsonObject().put("kind", "audio").put("codec", "opus").put("ssrc", 51).put("payloadType", 111))
                            .add(new JsonObject().put("kind", "video").put("codec", "vp8").put("ssrc", 52).put("payloadType", 96))))
                    .status());
            a.startTestSignal(30);
            v.startTestSignal(30);
            firstId = startGridRecording(api, roomId);
            long started = System.nanoTime();
            Thread.sleep(12_000);
            // Paused for the last 8 s of the reliability issue's 20 s: everything before the pause is kept.
            assertEquals(200, api.post("/v2/recordings/pause", new JsonObject().put("roomId", roomId)).status());
            recordedBeforeKill = (System.nanoTime() - started) / 1e9;
            waitForRecording(api, firstId, "paused", 5_000);
            Thread.sleep(8_000);
            node.kill();
        }
        try (JarProcess node = JarProcess.start(work, env)) {
            Api api = new Api(node.httpPort, mint(env));
            JsonObject rec = waitForRecording(api, firstId, "stopped", 60_000);
            assertTrue(rec.getBoolean("interrupted"), rec.encode());
            Path mp4 = Media.download(rec.getJsonObject("file").getString("fileUrl"), work.resolve("crashed.mp4"));
            Media.Probe p = Media.probe(mp4.toString());
            assertEquals("h264", p.videoCodec());
            JsonObject pause = rec.getJsonArray("pauses").getJsonObject(0);
            assertTrue(pause.getString("end") != null, "the pause the kill cut short ends with the recording: " + rec.encode());
            // Everything from the file's first picture (start) to the pause is kept.
            double beforePause = Duration.between(Instant.parse(rec.getString("start")), Instant.parse(pause.getString("start"))).toMillis() / 1000.0;
            assertTrue(Math.abs(p.seconds() - beforePause) <= 0.5 && beforePause >= recordedBeforeKill - 0.5,
                    p.seconds() + " s kept of " + beforePause + " s recorded before the pause and the kill: " + rec.encode());

            // The same session goes on; a new recording is ended by SIGTERM.
            String secondId;
            try (RtpSender a = RtpSender.opus(Integer.parseInt(env.get("ROOMCAST_RTP_PORT")), 51, 111)) {
                a.startTestSignal(10);
                secondId = api.post("/v2/recordings/start", new JsonObject().put("roomId", roomId)
                        .put("config", new JsonObject().put("mode", "audio"))).json().getString("id");
                waitForRecording(api, secondId, "started", 15_000);
                Thread.sleep(4000);
                int code = node.terminate();
                assertTrue(code == 0 || code == 143, "exit code after SIGTERM: " + code);
            }
            try (JarProcess again = JarProcess.start(work, env)) {
                Api api2 = new Api(again.httpPort, mint(env));
                JsonObject second = api2.get("/v2/recordings/" + secondId).json();
                assertEquals("stopped", second.getString("status"), second.encode());
                assertTrue(!second.getBoolean("interrupted"), "finished by the shutdown, not recovered: " + second.encode());
                assertTrue(second.getJsonObject("file").getJsonObject("meta").getDouble("duration") >= 3.5, second.encode());
            }
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
