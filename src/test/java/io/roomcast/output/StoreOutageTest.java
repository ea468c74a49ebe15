package io.roomcast.output;

import io.roomcast.Roomcast;
import io.roomcast.storage.EmbeddedS3;
import io.roomcast.support.Api;
import io.roomcast.support.JarProcess;
import io.roomcast.support.Media;
import io.roomcast.support.Participants;
import io.roomcast.support.RtpSender;
import io.roomcast.support.TestNode;
import io.roomcast.support.Tokens;
import io.roomcast.support.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The object store goes away in the middle of a recording (a separate S3 server, stopped and
 * started again on the same port): the recording goes on into its local file, the parts catch up
 * when the store is back, and the finished MP4 is complete, with no part objects and no local
 * spill left behind. With a small spill limit, the recording says so (status and webhook), keeps
 * what it had, and records again once the store is back.
 */
class StoreOutageTest {
    @TempDir
    Path data;
    @TempDir
    Path s3dir;
    @TempDir
    Path downloads;

    /** A 360p grid recording of the room, once it has started. */
    static String startRecording(Api api, String room) throws InterruptedException {
        String id = api.post("/v2/recordings/start", new JsonObject().put("roomId", room).put("preset", "grid-360p"))
                .json().getString("id");
        api.waitFor("/v2/recordings/" + id, "status", "started", 10_000);
        return id;
    }

    @Test
    void recordingSurvivesTheStoreGoingAwayAndCatchesUp() throws Exception {
        int s3port = JarProcess.freePort();
        EmbeddedS3 s3 = EmbeddedS3.start(s3dir, "127.0.0.1", s3port, "roomcast-dev", "roomcast-dev-secret-key", "roomcast");
        Map<String, Object> cfg = TestNode.defaults(data);
        cfg.put("s3.endpoint", s3.endpoint().toString());
        try (Roomcast node = TestNode.start(cfg)) {
            Api api = new Api(node.httpPort(), Tokens.admin());
            String room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
            Participants.join(api, room, "ann", 401, 402, "vp8");
            try (RtpSender a = RtpSender.opus(node.rtpPort(), 401, 111);
                 RtpSender v = RtpSender.video(node.rtpPort(), 402, 96, "vp8", 640, 360).talkingHead()) {
                a.startTestSignal(24);
                v.startTestSignal(24);
                String id = startRecording(api, room);
                long started = System.nanoTime();
                Thread.sleep(4000);
                s3.close(); // the store is unreachable
                Thread.sleep(30_000);
                JsonObject during = api.get("/v2/recordings/" + id).json();
                assertEquals("started", during.getString("status"), "recording goes on");
                JsonObject spill = during.getJsonObject("spill");
                assertTrue(spill.getLong("bytes") > 0 && spill.getInteger("limitReached") == 0 && spill.getBoolean("recording"),
                        "30 s wait in the local spill, under its bound: " + spill);
                s3 = EmbeddedS3.start(s3dir, "127.0.0.1", s3port, "roomcast-dev", "roomcast-dev-secret-key", "roomcast");
                Thread.sleep(4000);
                assertEquals(200, api.post("/v2/recordings/end", new JsonObject().put("roomId", room)).status());
                double seconds = (System.nanoTime() - started) / 1e9;
                JsonObject done = api.waitFor("/v2/recordings/" + id, "status", "stopped", 60_000);
                Media.Probe p = Media.probe(Media.download(done.getJsonObject("file").getString("fileUrl"),
                        downloads.resolve("r.mp4")).toString());
                assertTrue(Math.abs(p.seconds() - seconds) < 0.6, p.seconds() + " s recorded of " + seconds + " s");
                assertTrue(p.videoFrames() >= (seconds - 0.8) * 25, "nothing lost during the outage: " + p);
                String keyBase = done.getJsonObject("file").getString("filePath").replaceFirst("\\.mp4$", "");
                assertTrue(node.store().listKeys(keyBase + ".parts/").await().isEmpty(), "part objects removed");
                assertTrue(!Files.exists(data.resolve("recordings").resolve(id)), "the local spill is gone");
            }
        } finally {
            s3.close();
        }
    }

    @Test
    void aFullSpillIsReportedKeepsWhatItHadAndRecordsAgainWhenTheStoreIsBack() throws Exception {
        int s3port = JarProcess.freePort();
        EmbeddedS3 s3 = EmbeddedS3.start(s3dir, "127.0.0.1", s3port, "roomcast-dev", "roomcast-dev-secret-key", "roomcast");
        Map<String, Object> cfg = TestNode.defaults(data);
        cfg.put("s3.endpoint", s3.endpoint().toString());
        cfg.put("limits.maxSpillBytesPerRecording", 128 * 1024);
        try (Roomcast node = TestNode.start(cfg); WebhookReceiver hooks = new WebhookReceiver()) {
            Api api = new Api(node.httpPort(), Tokens.admin());
            String room = api.post("/v2/rooms", new JsonObject().put("webhook", new JsonObject().put("url", hooks.url())))
                    .json().getString("roomId");
            Participants.join(api, room, "ann", 401, 402, "vp8");
            try (RtpSender a = RtpSender.opus(node.rtpPort(), 401, 111);
                 RtpSender v = RtpSender.video(node.rtpPort(), 402, 96, "vp8", 640, 360).talkingHead()) {
                a.startTestSignal(30);
                v.startTestSignal(30);
                String id = startRecording(api, room);
                long started = System.nanoTime();
                Thread.sleep(4000);
                s3.close();
                JsonObject full = hooks.await("recording-spill-limit-reached", 1, 15_000).get(0).json().getJsonObject("data");
                assertEquals(id, full.getString("id"));
                assertTrue(full.getString("reason").contains("spill"), full.encode());
                Thread.sleep(3000);
                JsonObject during = api.get("/v2/recordings/" + id).json();
                assertEquals("started", during.getString("status"));
                JsonObject spill = during.getJsonObject("spill");
                assertTrue(spill.getInteger("limitReached") == 1 && !spill.getBoolean("recording")
                        && spill.getLong("droppedPackets") > 0 && spill.getDouble("gapSeconds") > 1, spill.encode());
                assertTrue(spill.getLong("bytes") <= 128 * 1024 + 256 * 1024, "bounded: " + spill); // the limit plus one fragment

                s3 = EmbeddedS3.start(s3dir, "127.0.0.1", s3port, "roomcast-dev", "roomcast-dev-secret-key", "roomcast");
                JsonObject back = hooks.await("recording-spill-recovered", 1, 30_000).get(0).json().getJsonObject("data");
                assertEquals(null, back.getString("reason"), back.encode());
                Thread.sleep(4000);
                assertEquals(200, api.post("/v2/recordings/end", new JsonObject().put("roomId", room)).status());
                double seconds = (System.nanoTime() - started) / 1e9;
                JsonObject done = api.waitFor("/v2/recordings/" + id, "status", "stopped", 60_000);
                double gap = done.getJsonObject("spill").getDouble("gapSeconds");
                Media.Probe p = Media.probe(Media.download(done.getJsonObject("file").getString("fileUrl"),
                        downloads.resolve("r.mp4")).toString());
                assertTrue(gap > 2 && gap < seconds - 6, "gap " + gap + " of " + seconds);
                // Everything before the limit and after the recovery is there: 4 s + 4 s at least.
                assertTrue(p.videoFrames() >= (seconds - gap - 1.5) * 25 && p.videoFrames() <= (seconds - gap + 1.5) * 25,
                        p + " for " + seconds + " s with a gap of " + gap);
                assertTrue(p.seconds() > seconds - gap - 1, p.toString());
                assertTrue(!Files.exists(data.resolve("recordings").resolve(id)), "the local spill is gone");
            }
        } finally {
            s3.close();
        }
    }
}
