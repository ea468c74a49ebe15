package io.roomcast.output;

import io.roomcast.Roomcast;
import io.roomcast.support.Api;
import io.roomcast.support.NodeExtension;
import io.roomcast.support.Participants;
import io.roomcast.support.RtpSender;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Stills of the composite, decoded as a user's app would (Java's JPEG reader): the snapshot of a
 * room's live picture, and the thumbnails a recording and an HLS stream upload every interval,
 * listed with their times. The camera is in them (pixels), not a placeholder.
 */
class ThumbnailsTest {
    @RegisterExtension
    final NodeExtension fresh = new NodeExtension();
    Roomcast node;
    Api api;

    @Test
    void snapshotAndThumbnailsShowTheCamera() throws Exception {
        String room = api.createRoom();
        assertEquals(409, api.getBytes("/v2/rooms/" + room + "/snapshot").statusCode(), "no session yet");
        Participants.join(api, room, "ann", 11, 12, "vp8");
        try (RtpSender v = RtpSender.video(node.rtpPort(), 12, 96, "vp8", 640, 360).talkingHead();
             RtpSender a = RtpSender.opus(node.rtpPort(), 11, 111)) {
            v.startTestSignal(12);
            a.startTestSignal(12);
            HttpResponse<byte[]> none = api.getBytes("/v2/rooms/" + room + "/snapshot");
            assertEquals(409, none.statusCode(), "nothing composes yet");
            assertTrue(new String(none.body()).contains("no_composite"), new String(none.body()));

            JsonObject badThumbs = new JsonObject().put("roomId", room).put("config", new JsonObject()
                    .put("thumbnails", new JsonObject().put("intervalSeconds", 0)));
            Api.Response bad = api.post("/v2/recordings/start", badThumbs);
            assertEquals(400, bad.status(), bad.body());
            assertTrue(bad.body().contains("config.thumbnails.intervalSeconds"), bad.body());
            Api.Response audio = api.post("/v2/recordings/start", new JsonObject().put("roomId", room).put("config", new JsonObject()
                    .put("mode", "audio").put("thumbnails", new JsonObject().put("intervalSeconds", 1))));
            assertEquals(400, audio.status(), audio.body());

            JsonObject thumbs = new JsonObject().put("intervalSeconds", 1).put("width", 320);
            String recId = api.post("/v2/recordings/start", new JsonObject().put("roomId", room).put("preset", "spotlight-720p")
                    .put("config", new JsonObject().put("thumbnails", thumbs))).json().getString("id");
            String hlsId = api.post("/v2/hls/start", new JsonObject().put("roomId", room).put("preset", "spotlight-720p")
                    .put("config", new JsonObject().put("thumbnails", new JsonObject().put("intervalSeconds", 2)))).json().getString("id");
            api.waitFor("/v2/recordings/" + recId, "status", "started", 10_000);
            Thread.sleep(2000);

            HttpResponse<byte[]> snap = api.getBytes("/v2/rooms/" + room + "/snapshot?width=480");
            assertEquals(200, snap.statusCode(), new String(snap.body()));
            assertEquals("image/jpeg", snap.headers().firstValue("Content-Type").orElse(""));
            BufferedImage live = ImageIO.read(new ByteArrayInputStream(snap.body()));
            assertEquals(480, live.getWidth());
            assertEquals(270, live.getHeight());
            assertTrue(cornerLuma(live) > 50, "the camera fills the spotlight: " + cornerLuma(live));
            assertEquals(400, api.getBytes("/v2/rooms/" + room + "/snapshot?width=5").statusCode());

            Thread.sleep(4000);
            api.post("/v2/recordings/end", new JsonObject().put("roomId", room));
            api.post("/v2/hls/end", new JsonObject().put("roomId", room));
            JsonObject done = api.waitFor("/v2/recordings/" + recId, "status", "stopped", 30_000);
            JsonArray list = done.getJsonArray("thumbnails");
            double seconds = done.getJsonObject("file").getJsonObject("meta").getDouble("duration");
            assertTrue(Math.abs(list.size() - seconds) <= 2, list.size() + " thumbnails for " + seconds + " s at one a second");
            for (int i = 0; i < list.size(); i++) {
                JsonObject t = list.getJsonObject(i);
                assertTrue(t.getString("filePath").startsWith(done.getJsonObject("file").getString("filePath").replace(".mp4", "/thumbnails/")),
                        t.encode());
                if (i > 0) {
                    long step = Duration.between(Instant.parse(list.getJsonObject(i - 1).getString("at")), Instant.parse(t.getString("at"))).toMillis();
                    assertTrue(step >= 960 && step <= 1100, "a thumbnail a second: " + list.encode());
                }
            }
            BufferedImage thumb = download(list.getJsonObject(list.size() / 2).getString("fileUrl"));
            assertEquals(320, thumb.getWidth());
            assertEquals(180, thumb.getHeight());
            assertTrue(cornerLuma(thumb) > 50, "the camera is in the thumbnail: " + cornerLuma(thumb));

            JsonObject hls = api.waitFor("/v2/hls/" + hlsId, "status", "stopped", 30_000);
            JsonArray hlsThumbs = hls.getJsonArray("thumbnails");
            assertTrue(hlsThumbs.size() >= 2, hls.encode());
            assertTrue(hlsThumbs.getJsonObject(0).getString("filePath").contains("/" + hlsId + "/thumbnails/000001.jpg"), hlsThumbs.encode());
            assertEquals(320, download(hlsThumbs.getJsonObject(0).getString("fileUrl")).getWidth());
        }
    }

    private static BufferedImage download(String url) throws Exception {
        HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(r.body()));
        assertNotNull(img, "a JPEG");
        return img;
    }

    /** Mean luma of the picture's top-left area (where the spotlight's camera is, not the theme's background). */
    static double cornerLuma(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        long sum = 0;
        int n = 0;
        for (int y = h * 40 / 720; y < h * 100 / 720; y++) { // RecordingTest.cornerLuma's area, at any size
            for (int x = w * 40 / 1280; x < w * 140 / 1280; x++) {
                int rgb = img.getRGB(x, y);
                sum += (299 * ((rgb >> 16) & 0xff) + 587 * ((rgb >> 8) & 0xff) + 114 * (rgb & 0xff)) / 1000;
                n++;
            }
        }
        return (double) sum / n;
    }
}
