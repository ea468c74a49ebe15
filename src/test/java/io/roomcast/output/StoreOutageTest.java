package io.roomcast.output;

import io.roomcast.Roomcast;
import io.roomcast.storage.EmbeddedS3;
import io.roomcast.support.Api;
import io.roomcast.support.Media;
import io.roomcast.support.RtpSender;
import io.roomcast.support.TestNode;
import io.roomcast.support.Tokens;
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
 * spill left behind.
 */
class StoreOutageTest {
    @TempDir
    Path data;
    @TempDir
    Path s3dir;
    @TempDir
    Path downloads;

    @Test
    void recordingSurvivesTheStoreGoingAwayAndCatchesUp() throws Exception {
        int s3port = OutputsTest.freePort();
        EmbeddedS3 s3 = EmbeddedS3.start(s3dir, "127.0.0.1", s3port, "roomcast-dev", "roomcast-dev-secret-key", "roomcast");
        Map<String, Object> cfg = TestNode.defaults(data);
        cfg.put("s3.endpoint", s3.endpoint().toString());
        try (Roomcast node = TestNode.start(cfg)) {
            Api api = new Api(node.httpPort(), Tokens.admin());
            String room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
            OutputsTest.join(api, room, "ann", 401, 402, "vp8");
            try (RtpSender a = RtpSender.opus(node.rtpPort(), 401, 111);
                 RtpSender v = RtpSender.video(node.rtpPort(), 402, 96, "vp8", 640, 360).talkingHead()) {
                a.startTestSignal(24);
                v.startTestSignal(24);
                String id = api.post("/v2/recordings/start", new JsonObject().put("roomId", room).put("preset", "grid-360p"))
                        .json().getString("id");
                OutputsTest.waitFor(api, "/v2/recordings/" + id, "status", "started", 10_000);
                long started = System.nanoTime();
                Thread.sleep(4000);
                s3.close(); // the store is unreachable
                Thread.sleep(10_000);
                assertEquals("started", api.get("/v2/recordings/" + id).json().getString("status"), "recording goes on");
                s3 = EmbeddedS3.start(s3dir, "127.0.0.1", s3port, "roomcast-dev", "roomcast-dev-secret-key", "roomcast");
                Thread.sleep(4000);
                assertEquals(200, api.post("/v2/recordings/end", new JsonObject().put("roomId", room)).status());
                double seconds = (System.nanoTime() - started) / 1e9;
                JsonObject done = OutputsTest.waitFor(api, "/v2/recordings/" + id, "status", "stopped", 60_000);
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
}
