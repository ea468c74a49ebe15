package io.roomcast.output.livestream;

import io.roomcast.Roomcast;
import io.roomcast.support.Api;
import io.roomcast.support.JarProcess;
import io.roomcast.support.Media;
import io.roomcast.support.NodeExtension;
import io.roomcast.support.Participants;
import io.roomcast.support.RtpSender;
import io.roomcast.support.TestNode;
import io.roomcast.support.Tokens;
import io.roomcast.support.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RTMP pushes against a real RTMP listener: a server restart is survived, a dead destination fails alone. */
class LivestreamTest {
    /** A fresh node for every test, in {@link #node} and {@link #api}. */
    @RegisterExtension
    final NodeExtension fresh = new NodeExtension();
    Roomcast node;
    Api api;
    @TempDir
    Path data;
    @TempDir
    Path downloads;

    @Test
    void rtmpServerRestartIsSurvivedAndTheRecordingNeverNotices() throws Exception {
        String room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
        Participants.join(api, room, "ann", 31, 32, "vp8");
        int rtmpPort = JarProcess.freePort();
        try (RtpSender a = RtpSender.opus(node.rtpPort(), 31, 111);
             RtpSender v = RtpSender.video(node.rtpPort(), 32, 96, "vp8", 640, 360).talkingHead()) {
            a.startTestSignal(16);
            v.startTestSignal(16);
            Media.RtmpListener first = new Media.RtmpListener(rtmpPort, "live/k1");
            String recId = api.post("/v2/recordings/start", new JsonObject().put("roomId", room).put("preset", "grid-360p"))
                    .json().getString("id");
            long recStart = System.nanoTime();
            assertEquals(200, api.post("/v2/livestreams/start", new JsonObject().put("roomId", room).put("preset", "grid-360p")
                    .put("outputs", new JsonArray().add(new JsonObject().put("url", "rtmp://127.0.0.1:" + rtmpPort + "/live/k1")))).status());
            long deadline = System.currentTimeMillis() + 10_000;
            while (first.videoFrames() < 50 && System.currentTimeMillis() < deadline) Thread.sleep(100);
            assertTrue(first.videoFrames() >= 50, "first server got " + first.videoFrames());
            first.close(); // the server goes away
            String status = "";
            deadline = System.currentTimeMillis() + 10_000;
            while (!status.equals("reconnecting") && System.currentTimeMillis() < deadline) {
                status = destination(api, room).getString("status");
                Thread.sleep(50);
            }
            assertEquals("reconnecting", status);
            Thread.sleep(1500);
            try (Media.RtmpListener second = new Media.RtmpListener(rtmpPort, "live/k1")) {
                deadline = System.currentTimeMillis() + 20_000;
                while (second.videoFrames() < 50 && System.currentTimeMillis() < deadline) Thread.sleep(100);
                assertTrue(second.videoFrames() >= 50, "the push resumed to the restarted server: " + second.videoFrames());
                JsonObject d = destination(api, room);
                assertEquals("started", d.getString("status"), d.encode());
                assertTrue(d.getLong("reconnects") >= 1, d.encode());
                String lsId = api.get("/v2/livestreams?roomId=" + room).json().getString("id");
                JsonObject byId = api.get("/v2/livestreams/" + lsId).json();
                assertEquals(room, byId.getString("roomId"), byId.encode());
                assertEquals("started", byId.getJsonArray("outputs").getJsonObject(0).getString("status"), byId.encode());
                assertEquals("started", api.get("/v2/recordings/" + recId).json().getString("status"));
                api.post("/v2/livestreams/end", new JsonObject().put("roomId", room));
                assertEquals(200, api.post("/v2/recordings/end", new JsonObject().put("roomId", room)).status());
            }
            double seconds = (System.nanoTime() - recStart) / 1e9;
            JsonObject done = api.waitFor("/v2/recordings/" + recId, "status", "stopped", 30_000);
            Media.Probe p = Media.probe(Media.download(done.getJsonObject("file").getString("fileUrl"),
                    downloads.resolve("r.mp4")).toString());
            assertTrue(Math.abs(p.seconds() - seconds) < 0.5, p.seconds() + " s recorded of " + seconds);
            assertTrue(p.videoFrames() >= (seconds - 0.6) * 25, "no gap in the recording: " + p);
        }
    }

    static JsonObject destination(Api api, String room) {
        return api.get("/v2/livestreams?roomId=" + room).json().getJsonArray("data").getJsonObject(0)
                .getJsonArray("outputs").getJsonObject(0);
    }

    @Test
    void aDestinationThatNeverAnswersFailsAloneWithAReason() throws Exception {
        Map<String, Object> cfg = TestNode.defaults(data);
        cfg.put("outputs.rtmpConnectTimeoutMs", 2000);
        try (Roomcast node = TestNode.start(cfg); WebhookReceiver hooks = new WebhookReceiver()) {
            Api api = new Api(node.httpPort(), Tokens.admin());
            String room = api.post("/v2/rooms", new JsonObject().put("webhook", new JsonObject().put("url", hooks.url())))
                    .json().getString("roomId");
            Participants.join(api, room, "dee", 61, 0, "vp8"); // no camera: a placeholder tile
            try (RtpSender a = RtpSender.opus(node.rtpPort(), 61, 111)) {
                a.startTestSignal(8);
                String recId = api.post("/v2/recordings/start", new JsonObject().put("roomId", room).put("preset", "grid-360p"))
                        .json().getString("id");
                int closed = JarProcess.freePort();
                api.post("/v2/livestreams/start", new JsonObject().put("roomId", room).put("preset", "grid-360p")
                        .put("outputs", new JsonArray().add(new JsonObject().put("url", "rtmp://127.0.0.1:" + closed + "/live/x"))));
                long deadline = System.currentTimeMillis() + 15_000;
                JsonObject d = destination(api, room);
                while (!d.getString("status").equals("failed") && System.currentTimeMillis() < deadline) {
                    Thread.sleep(200);
                    d = destination(api, room);
                }
                assertEquals("failed", d.getString("status"), d.encode());
                assertTrue(d.getString("reason").contains("could not connect"), d.encode());
                assertEquals("started", api.get("/v2/recordings/" + recId).json().getString("status"), "the recording goes on");
                Thread.sleep(1000);
                api.post("/v2/recordings/end", new JsonObject().put("roomId", room));
                JsonObject done = api.waitFor("/v2/recordings/" + recId, "status", "stopped", 30_000);
                Media.Probe p = Media.probe(Media.download(done.getJsonObject("file").getString("fileUrl"), downloads.resolve("f.mp4")).toString());
                assertTrue(p.seconds() > 3, p.toString());
            }
            List<String> types = hooks.deliveries().stream().map(WebhookReceiver.Delivery::type).toList();
            assertTrue(types.contains("livestream-failed") && types.contains("recording-stopped"), types.toString());
        }
    }
}
