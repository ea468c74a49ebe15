package io.roomcast.output;

import io.roomcast.Roomcast;
import io.roomcast.encode.OutputConfig;
import io.roomcast.encode.Presets;
import io.roomcast.mix.Watermark;
import io.roomcast.support.Api;
import io.roomcast.support.Media;
import io.roomcast.support.NodeExtension;
import io.roomcast.support.Participants;
import io.roomcast.support.RtpSender;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Watermarks as a viewer sees them, in the decoded MP4: the shipped logo of pipelines/watermarks/
 * opaque in one corner and at half opacity in another, a line of text in a third, on every picture.
 */
class WatermarkTest {
    @RegisterExtension
    final NodeExtension fresh = new NodeExtension();
    Roomcast node;
    Api api;
    @TempDir
    Path downloads;

    private static JsonObject mark(String type, String what, String position, double opacity) {
        return new JsonObject().put("type", type).put(type, what).put("position", position).put("opacity", opacity);
    }

    @Test
    void logoAndTextAreOnEveryPicture() throws Exception {
        String room = api.createRoom();
        Participants.join(api, room, "ann", 11, 12, "vp8"); // no camera sent: a calm placeholder behind the marks
        try (RtpSender a = RtpSender.opus(node.rtpPort(), 11, 111)) {
            a.startTestSignal(8);
            JsonArray marks = new JsonArray().add(mark("image", "roomcast-logo.png", "top-left", 1.0))
                    .add(mark("image", "roomcast-logo.png", "top-right", 0.5)).add(mark("text", "CONFIDENTIAL", "bottom-right", 1.0));
            for (JsonObject bad : new JsonObject[] {mark("image", "missing.png", "top-left", 1), mark("image", "../x.png", "top-left", 1),
                    mark("text", "x", "middle", 1), mark("text", "x", "top-left", 2)}) {
                Api.Response r = api.post("/v2/recordings/start", new JsonObject().put("roomId", room)
                        .put("config", new JsonObject().put("watermarks", new JsonArray().add(bad))));
                assertEquals(400, r.status(), r.body());
                assertTrue(r.body().contains("config.watermarks[0]."), r.body());
            }
            Api.Response ok = api.post("/v2/recordings/start", new JsonObject().put("roomId", room).put("preset", "grid-360p")
                    .put("config", new JsonObject().put("watermarks", marks)));
            assertEquals(200, ok.status(), ok.body());
            assertEquals(3, ok.json().getJsonObject("config").getJsonArray("watermarks").size(), ok.body());
            String id = ok.json().getString("id");
            api.waitFor("/v2/recordings/" + id, "status", "started", 10_000);
            Thread.sleep(4000);
            api.post("/v2/recordings/end", new JsonObject().put("roomId", room));
            JsonObject done = api.waitFor("/v2/recordings/" + id, "status", "stopped", 30_000);
            Path mp4 = Media.download(done.getJsonObject("file").getString("fileUrl"), downloads.resolve("marked.mp4"));

            int checked = 0;
            try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(mp4.toString())) {
                g.setPixelFormat(avutil.AV_PIX_FMT_RGB24);
                g.start();
                Frame f;
                int n = 0;
                while ((f = g.grabImage()) != null) {
                    if (n++ % 10 != 0) continue;
                    checked++;
                    ByteBuffer b = (ByteBuffer) f.image[0];
                    int stride = f.imageStride;
                    // 640x360: margin 10, the logo scaled to 160x53, its solid orange square 53 wide.
                    int[] opaque = rgb(b, stride, 14, 14);
                    assertTrue(opaque[0] > 215 && Math.abs(opaque[1] - 128) < 35 && opaque[2] < 50, "orange logo at frame " + n + ": " + str(opaque));
                    int[] half = rgb(b, stride, 474, 14);
                    int[] behind = rgb(b, stride, 474, 90);
                    int[] expected = {(255 + behind[0]) / 2, (128 + behind[1]) / 2, behind[2] / 2};
                    for (int c = 0; c < 3; c++) {
                        assertTrue(Math.abs(half[c] - expected[c]) < 30, "half-opaque logo " + str(half) + " over " + str(behind) + " at frame " + n);
                    }
                    int bright = 0;
                    for (int y = 300; y < 352; y++) for (int x = 420; x < 632; x++) if (luma(rgb(b, stride, x, y)) > 200) bright++;
                    assertTrue(bright > 150, "text in the bottom-right corner at frame " + n + ": " + bright + " white pixels");
                }
            }
            assertTrue(checked >= 8, "pictures checked: " + checked);
        }
    }

    /** A preset may carry watermarks; a request's config.watermarks replaces them. */
    @Test
    void presetsCarryWatermarks(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("watermarks"));
        Files.copy(Path.of("pipelines/watermarks/roomcast-logo.png"), dir.resolve("watermarks/logo.png"));
        JsonObject preset = new JsonObject(Files.readString(Path.of("pipelines/grid-720p.json")))
                .put("watermarks", new JsonArray().add(mark("image", "logo.png", "bottom-left", 0.8)));
        Files.writeString(dir.resolve("branded.json"), preset.encode());
        Presets presets = new Presets(dir, "grid-720p");
        OutputConfig branded = presets.resolve("branded", null);
        assertEquals(1, branded.watermarks().size());
        assertEquals(Watermark.Position.BOTTOM_LEFT, branded.watermarks().get(0).position());
        assertEquals(0.8, branded.watermarks().get(0).opacity());
        assertTrue(presets.watermarkImage("logo.png") != null);
        OutputConfig replaced = presets.resolve("branded", new JsonObject().put("watermarks", new JsonArray()));
        assertTrue(replaced.watermarks().isEmpty());
        assertTrue(!branded.equals(replaced), "a different composite, so a different encoder");
    }

    private static int[] rgb(ByteBuffer b, int stride, int x, int y) {
        int i = y * stride + x * 3;
        return new int[] {b.get(i) & 0xff, b.get(i + 1) & 0xff, b.get(i + 2) & 0xff};
    }

    private static int luma(int[] p) {
        return (299 * p[0] + 587 * p[1] + 114 * p[2]) / 1000;
    }

    private static String str(int[] p) {
        return "rgb(" + p[0] + "," + p[1] + "," + p[2] + ")";
    }
}
