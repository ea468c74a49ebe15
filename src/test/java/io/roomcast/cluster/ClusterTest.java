package io.roomcast.cluster;

import io.roomcast.Roomcast;
import io.roomcast.storage.EmbeddedS3;
import io.roomcast.support.Api;
import io.roomcast.support.ClusterKeys;
import io.roomcast.support.JarProcess;
import io.roomcast.support.Media;
import io.roomcast.support.RtpSender;
import io.roomcast.support.Sse;
import io.roomcast.support.TestNode;
import io.roomcast.support.Tokens;
import io.roomcast.support.Wav;
import io.roomcast.support.Wer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two clustered nodes in one test run, on loopback, sharing one S3 server: a room created through
 * one node is joined, recorded and captioned entirely through the node that does not run it.
 */
class ClusterTest {
    @TempDir
    Path a;
    @TempDir
    Path b;
    @TempDir
    Path s3dir;
    @TempDir
    Path downloads;
    @TempDir
    static Path keys;
    static Path clusterKeys;

    @BeforeAll
    static void makeTheClusterKey() throws Exception {
        clusterKeys = ClusterKeys.generate(keys, "roomcast-cluster");
    }

    static Map<String, Object> clustered(Path data, String s3, int port, String members) {
        Map<String, Object> cfg = TestNode.defaults(data);
        cfg.put("s3.endpoint", s3);
        cfg.put("cluster.enabled", true);
        cfg.put("cluster.port", port);
        cfg.put("cluster.members", members);
        ClusterKeys.put(cfg, ClusterKeys.SECRET, clusterKeys);
        return cfg;
    }

    /** Two clustered nodes on loopback sharing one S3 server; closed nodes first, then the store. */
    record Pair(EmbeddedS3 s3, Roomcast nodeA, Roomcast nodeB) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            try (EmbeddedS3 store = s3; Roomcast first = nodeA; Roomcast second = nodeB) {
                // closed in reverse order: nodeB, nodeA, the store
            }
        }
    }

    /** Starts a {@link Pair}; {@code tweak} changes both nodes' config first. */
    Pair startPair(Consumer<Map<String, Object>> tweak) throws Exception {
        int pa = JarProcess.freePort();
        int pb = JarProcess.freePort();
        String members = "127.0.0.1:" + pa + ",127.0.0.1:" + pb;
        EmbeddedS3 s3 = EmbeddedS3.start(s3dir, "127.0.0.1", JarProcess.freePort(), "roomcast-dev", "roomcast-dev-secret-key", "roomcast");
        Roomcast nodeA = null;
        try {
            Map<String, Object> ca = clustered(a, s3.endpoint().toString(), pa, members);
            Map<String, Object> cb = clustered(b, s3.endpoint().toString(), pb, members);
            tweak.accept(ca);
            tweak.accept(cb);
            nodeA = TestNode.start(ca);
            return new Pair(s3, nodeA, TestNode.start(cb));
        } catch (Exception | Error e) {
            try (EmbeddedS3 store = s3; Roomcast first = nodeA) {
                throw e;
            }
        }
    }

    /**
     * Two members, then two nodes that try to join them: one without the shared secret (Hazelcast
     * refuses it; it stays a cluster of one and sees none of the rooms) and one with the secret but
     * a certificate of its own (the event bus refuses its TLS; it does not start).
     */
    @Test
    void aNodeWithoutTheSecretOrTheCertificateIsRefused(@TempDir Path c, @TempDir Path d) throws Exception {
        int pa = JarProcess.freePort();
        int pb = JarProcess.freePort();
        int pc = JarProcess.freePort();
        int pd = JarProcess.freePort();
        String members = "127.0.0.1:" + pa + ",127.0.0.1:" + pb;
        try (EmbeddedS3 s3 = EmbeddedS3.start(s3dir, "127.0.0.1", JarProcess.freePort(), "roomcast-dev", "roomcast-dev-secret-key", "roomcast");
             Roomcast nodeA = TestNode.start(clustered(a, s3.endpoint().toString(), pa, members));
             Roomcast nodeB = TestNode.start(clustered(b, s3.endpoint().toString(), pb, members))) {
            Api viaA = new Api(nodeA.httpPort(), Tokens.admin());
            String room = viaA.post("/v2/rooms", new JsonObject()).json().getString("roomId");
            assertEquals(2.0, clusterNodes(viaA));

            Map<String, Object> noSecret = clustered(c, s3.endpoint().toString(), pc, members);
            ClusterKeys.put(noSecret, "another-secret-of-enough-length", clusterKeys);
            try (Roomcast outsider = TestNode.start(noSecret)) {
                Api viaC = new Api(outsider.httpPort(), Tokens.admin());
                assertEquals(1.0, clusterNodes(viaC), "a node with another secret is a cluster of its own");
                assertEquals(2.0, clusterNodes(viaA), "the members did not take it in");
                assertEquals(404, viaC.get("/v2/rooms/" + room).status(), "it cannot reach the cluster's rooms");
            }

            Map<String, Object> ownCert = clustered(d, s3.endpoint().toString(), pd, members);
            ClusterKeys.put(ownCert, ClusterKeys.SECRET, ClusterKeys.generate(keys, "intruder"));
            Exception refused = assertThrows(Exception.class, () -> TestNode.start(ownCert).close());
            assertTrue(String.valueOf(refused.getMessage()).contains("event bus"), refused.toString());
            long deadline = System.currentTimeMillis() + 30_000;
            while (clusterNodes(viaA) != 2.0 && System.currentTimeMillis() < deadline) Thread.sleep(200);
            assertEquals(2.0, clusterNodes(viaA), "the refused node left");
            assertEquals(200, new Api(nodeB.httpPort(), Tokens.admin()).get("/v2/rooms/" + room).status(), "the members still work");
        }
    }

    static double clusterNodes(Api api) {
        return api.as(null).get("/metrics").body().lines().filter(l -> l.startsWith("roomcast_cluster_nodes "))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.indexOf(' ') + 1))).findFirst().orElse(-1);
    }

    @Test
    void aRoomIsDrivenEntirelyThroughTheNodeThatDoesNotRunIt() throws Exception {
        try (Pair pair = startPair(c -> { })) {
            Roomcast nodeA = pair.nodeA();
            Roomcast nodeB = pair.nodeB();
            Api viaA = new Api(nodeA.httpPort(), Tokens.admin());
            Api viaB = new Api(nodeB.httpPort(), Tokens.admin());
            String metrics = viaB.as(null).get("/metrics").body();
            assertTrue(metrics.contains("roomcast_cluster_nodes 2.0"), "both nodes in one cluster: "
                    + metrics.lines().filter(l -> l.startsWith("roomcast_cluster")).toList());

            String room = viaA.post("/v2/rooms", new JsonObject().put("customRoomId", "standup")).json().getString("roomId");
            // Which node runs it is the cluster's choice; drive it through the other one.
            Api.Response joined = viaB.post("/v2/rooms/" + room + "/participants", new JsonObject().put("participantId", "ann")
                    .put("name", "Ann").put("tracks", new JsonArray()
                            .add(new JsonObject().put("kind", "audio").put("codec", "opus").put("ssrc", 81).put("payloadType", 111))));
            assertEquals(200, joined.status(), joined.body());
            int rtpPort = joined.json().getJsonObject("ingest").getInteger("port");
            assertTrue(rtpPort == nodeA.rtpPort() || rtpPort == nodeB.rtpPort(), "the join names a node's RTP port");
            Roomcast owner = rtpPort == nodeA.rtpPort() ? nodeA : nodeB;
            Roomcast other = owner == nodeA ? nodeB : nodeA;
            Api api = owner == nodeA ? viaB : viaA; // the node that does not run the room
            assertTrue(owner.rooms().isLocal(room) && !other.rooms().isLocal(room), "one node holds the room");

            assertEquals("standup", api.get("/v2/rooms/" + room).json().getString("customRoomId"));
            assertEquals(200, api.post("/v2/transcription/start", new JsonObject().put("roomId", room)).status());
            List<JsonObject> captions = Sse.captions(other.httpPort(), room, Tokens.admin());
            Api.Response started = api.post("/v2/recordings/start", new JsonObject().put("roomId", room)
                    .put("config", new JsonObject().put("mode", "audio")));
            assertEquals(200, started.status(), started.body());
            String rec = started.json().getString("id");

            Wav speech = Wav.read(Wav.speech("s02.wav"));
            long t0 = System.nanoTime();
            try (RtpSender audio = RtpSender.opus(rtpPort, 81, 111)) { // media to the node the join named
                audio.startSamples(Arrays.copyOf(speech.samples, speech.samples.length + speech.sampleRate), speech.sampleRate);
                audio.join();
            }
            Thread.sleep(1500);
            String heard = captions.stream().filter(c -> "final".equals(c.getString("type")))
                    .map(c -> c.getString("text")).reduce("", (x, y) -> x + " " + y).trim();
            double wer = Wer.rate(Wer.reference("s02.wav"), heard);
            assertTrue(wer <= 0.2, "captions on the other node's SSE, WER " + wer + ": " + heard);

            Api.Response ended = api.post("/v2/recordings/end", new JsonObject().put("roomId", room));
            assertEquals(200, ended.status(), ended.body());
            double seconds = (System.nanoTime() - t0) / 1e9;
            JsonObject done = waitFor(api, "/v2/recordings/" + rec, "stopped", 30_000);
            Media.Probe p = Media.probe(Media.download(done.getJsonObject("file").getString("fileUrl"), downloads.resolve("r.m4a")).toString());
            assertEquals("aac", p.audioCodec());
            assertTrue(p.seconds() > seconds - 3, p.seconds() + " s of " + seconds);
            for (Api node : List.of(viaA, viaB)) {
                JsonArray listed = node.get("/v2/recordings?roomId=" + room).json().getJsonArray("data");
                assertEquals(rec, listed.getJsonObject(0).getString("id"), "both nodes list the recording");
                JsonArray all = node.get("/v2/recordings").json().getJsonArray("data");
                assertTrue(all.stream().anyMatch(o -> rec.equals(((JsonObject) o).getString("id"))), "and in the cluster-wide list");
                Api.Response participantLists = node.get("/v2/recordings/participant/track");
                assertEquals(200, participantLists.status(), "a list gathered from every node, not an id: " + participantLists.body());
                JsonArray rooms = node.get("/v2/rooms").json().getJsonArray("data");
                assertTrue(rooms.stream().anyMatch(o -> room.equals(((JsonObject) o).getString("roomId"))), "rooms listed everywhere");
            }
            // Errors keep their status and body across the hop.
            Api.Response missing = api.get("/v2/rooms/" + room + "/participants/nobody/stats");
            assertEquals(404, missing.status(), missing.body());
            assertEquals("not_found", missing.errorCode());
            Api.Response bad = api.post("/v2/recordings/start", new JsonObject().put("roomId", room).put("preset", "nope"));
            assertEquals(400, bad.status(), bad.body());
            assertEquals(404, api.get("/v2/recordings/000000000000000000000000").status());
            assertNotEquals(owner.httpPort(), other.httpPort());
        }
    }

    /**
     * Sessions are placed by measured load when their first participant joins: after one session
     * starts on a node (its estimated cost counts until the CPU measurement shows it), the first join
     * of another room, created on that same node, runs on the other node.
     */
    @Test
    void aNewSessionGoesToTheLessLoadedNode() throws Exception {
        try (Pair pair = startPair(c -> c.put("cluster.placementCostCores", 1.0))) {
            Roomcast nodeA = pair.nodeA();
            Roomcast nodeB = pair.nodeB();
            Api viaA = new Api(nodeA.httpPort(), Tokens.admin());
            String first = viaA.post("/v2/rooms", new JsonObject()).json().getString("roomId");
            String second = viaA.post("/v2/rooms", new JsonObject()).json().getString("roomId");
            Thread.sleep(2500); // both nodes have published a load
            int p1 = joinPort(viaA, first, 91);
            int p2 = joinPort(viaA, second, 92);
            assertNotEquals(p1, p2, "the second session runs on the other, less loaded node");
            Roomcast holder = p2 == nodeA.rtpPort() ? nodeA : nodeB;
            assertTrue(holder.rooms().isLocal(second), "the room moved with its session");
            assertEquals(second, new Api(nodeB.httpPort(), Tokens.admin()).get("/v2/rooms/" + second).json().getString("roomId"));
            String metrics = viaA.as(null).get("/metrics").body();
            assertTrue(metrics.contains("roomcast_cluster_node_load{node="), "per-node load in /metrics");
        }
    }

    static int joinPort(Api api, String room, long ssrc) {
        Api.Response r = api.post("/v2/rooms/" + room + "/participants", new JsonObject().put("participantId", "p" + ssrc)
                .put("name", "P").put("tracks", new JsonArray()
                        .add(new JsonObject().put("kind", "audio").put("codec", "opus").put("ssrc", ssrc).put("payloadType", 111))));
        assertEquals(200, r.status(), r.body());
        return r.json().getJsonObject("ingest").getInteger("port");
    }

    static JsonObject waitFor(Api api, String path, String status, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        JsonObject last = null;
        while (System.currentTimeMillis() < deadline) {
            last = api.get(path).json();
            if (status.equals(last.getString("status"))) return last;
            Thread.sleep(200);
        }
        throw new AssertionError(path + " never became " + status + ": " + last);
    }

    /** Chat reaches SSE and WebSocket clients on both nodes, published through either node, by POST or by WebSocket. */
    @Test
    void messagesReachEveryClientOnBothNodes() throws Exception {
        try (Pair pair = startPair(c -> { })) {
            Roomcast nodeA = pair.nodeA();
            Roomcast nodeB = pair.nodeB();
            Api viaA = new Api(nodeA.httpPort(), Tokens.admin());
            String room = viaA.createRoom();
            viaA.post("/v2/rooms/" + room + "/participants", new JsonObject().put("participantId", "ann").put("name", "Ann")
                    .put("tracks", new JsonArray().add(new JsonObject().put("kind", "audio").put("codec", "opus").put("ssrc", 91).put("payloadType", 111))));
            Roomcast owner = nodeA.rooms().isLocal(room) ? nodeA : nodeB;
            Roomcast other = owner == nodeA ? nodeB : nodeA;
            String path = "/v2/rooms/" + room + "/messages";
            String token = Tokens.forRoom(room);
            List<List<JsonObject>> clients = new ArrayList<>();
            List<WebSocket> sockets = new ArrayList<>();
            for (Roomcast n : List.of(owner, other)) {
                clients.add(Sse.open(n.httpPort(), path + "?token=" + token));
                List<JsonObject> frames = new CopyOnWriteArrayList<>();
                clients.add(frames);
                sockets.add(HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + n.httpPort() + path
                        + "/ws?token=" + token), new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onText(WebSocket w, CharSequence text, boolean last) {
                        JsonObject j = new JsonObject(text.toString());
                        frames.add(j.containsKey("message") ? j.getJsonObject("message") : j);
                        w.request(1);
                        return null;
                    }
                }).join());
            }
            Api viaOther = new Api(other.httpPort(), Tokens.admin());
            assertEquals(200, viaOther.post(path, new JsonObject().put("topic", "CHAT").put("message", "by POST on the other node")
                    .put("senderId", "ann").put("persist", true)).status());
            sockets.get(1).sendText(new JsonObject().put("topic", "CHAT").put("message", "by WebSocket on the other node")
                    .put("senderId", "ben").put("persist", true).encode(), true).join();
            for (List<JsonObject> c : clients) {
                for (int i = 0; i < 100 && c.stream().filter(j -> "CHAT".equals(j.getString("topic"))).count() < 2; i++) Thread.sleep(50);
                assertEquals(List.of("by POST on the other node", "by WebSocket on the other node"), c.stream()
                        .filter(j -> "CHAT".equals(j.getString("topic"))).map(j -> j.getString("message")).toList(), c.toString());
            }
            JsonArray listed = viaOther.get(path).json().getJsonArray("data");
            assertEquals(2, listed.size(), "the owner keeps both, listed through the other node: " + listed);
            for (WebSocket w : sockets) w.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
        }
    }
}
