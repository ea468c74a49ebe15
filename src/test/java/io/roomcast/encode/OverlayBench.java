package io.roomcast.encode;

import io.roomcast.compose.Still;
import io.roomcast.compose.StillTaker;
import io.roomcast.mix.Layout;
import io.roomcast.mix.VideoCompositor;
import io.roomcast.mix.VideoInputs;
import io.roomcast.mix.Watermarks;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_get_buffer;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_make_writable;

/**
 * What watermarks and thumbnails add to a 1280x720 grid of three moving 640x360 cameras, side by
 * side in one run with the encoder they feed (CPU of this thread): composing a picture without and
 * with three watermarks (two logos, one text), taking a 320-wide still and making it a JPEG, and
 * encoding the picture (the node's default H.264 encoder). Ratios, since absolute times drift.
 * {@code mvn -B -Pbench verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=OverlayBench}
 */
class OverlayBench {
    static final int FRAMES = Integer.getInteger("bench.frames", 250);

    @Test
    void watermarksAndStillsAgainstTheEncoder() throws Exception {
        Presets presets = new Presets(Path.of("pipelines").toAbsolutePath(), "grid-720p");
        JsonArray marks = new JsonArray()
                .add(new JsonObject().put("type", "image").put("image", "roomcast-logo.png").put("position", "top-left").put("opacity", 1.0))
                .add(new JsonObject().put("type", "image").put("image", "roomcast-logo.png").put("position", "top-right").put("opacity", 0.5))
                .add(new JsonObject().put("type", "text").put("text", "CONFIDENTIAL - Roomcast").put("position", "bottom-right").put("opacity", 0.8));
        OutputConfig plain = presets.resolve("grid-720p", null);
        OutputConfig marked = presets.resolve("grid-720p", new JsonObject().put("watermarks", marks));
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        AVFrame[] cams = {frame(640, 360), frame(640, 360), frame(640, 360)};
        AVFrame canvas = frame(1280, 720);
        List<Layout.Feed> feeds = List.of(new Layout.Feed("a", "Ann Lee", "camera"), new Layout.Feed("b", "Ben Ode", "camera"),
                new Layout.Feed("c", "Cy Park", "camera"));
        List<Layout.Tile> tiles = Layout.tiles("GRID", 9, 1280, 720, feeds);
        VideoInputs inputs = new VideoInputs();
        String encoder = SystemOpenH264.available() ? VideoEncoder.SYSTEM_OPENH264 : "libopenh264";
        long composePlain = 0;
        long composeMarked = 0;
        long stills = 0;
        long jpegs = 0;
        long encode = 0;
        long jpegBytes = 0;
        try (VideoCompositor withoutMarks = new VideoCompositor(1280, 720, "DARK");
             VideoCompositor withMarks = new VideoCompositor(1280, 720, "DARK",
                     Watermarks.of(marked.watermarks(), 1280, 720, presets::watermarkImage));
             StillTaker taker = new StillTaker();
             VideoEncoder enc = VideoEncoder.open(encoder, plain)) {
            for (int i = 0; i < FRAMES; i++) {
                long micros = i * 40_000L;
                for (int k = 0; k < 3; k++) {
                    av_frame_make_writable(cams[k]);
                    EncoderBench.paintSmall(cams[k], i + k * 7);
                    inputs.add(feeds.get(k).key(), micros, cams[k]);
                }
                av_frame_make_writable(canvas);
                long t0 = mx.getCurrentThreadCpuTime();
                withoutMarks.compose(canvas, micros, tiles, inputs);
                long t1 = mx.getCurrentThreadCpuTime();
                withMarks.compose(canvas, micros, tiles, inputs);
                long t2 = mx.getCurrentThreadCpuTime();
                Still still = taker.take(canvas, micros, 320);
                long t3 = mx.getCurrentThreadCpuTime();
                jpegBytes += still.jpeg().length;
                long t4 = mx.getCurrentThreadCpuTime();
                enc.encode(canvas, i, i % 50 == 0, p -> { });
                long t5 = mx.getCurrentThreadCpuTime();
                composePlain += t1 - t0;
                composeMarked += t2 - t1;
                stills += t3 - t2;
                jpegs += t4 - t3;
                encode += t5 - t4;
                inputs.prune(micros - 200_000);
            }
        } finally {
            inputs.close();
            for (AVFrame f : cams) av_frame_free(f);
            av_frame_free(canvas);
        }
        double n = FRAMES;
        double watermarkMs = (composeMarked - composePlain) / 1e6 / n;
        double encodeMs = encode / 1e6 / n;
        double stillMs = (stills + jpegs) / 1e6 / n;
        JsonObject result = new JsonObject().put("frames", FRAMES).put("encoder", encoder)
                .put("composeMsPerPicture", composePlain / 1e6 / n).put("composeWithWatermarksMsPerPicture", composeMarked / 1e6 / n)
                .put("watermarksMsPerPicture", watermarkMs).put("encodeMsPerPicture", encodeMs)
                .put("watermarksShareOfEncode", watermarkMs / encodeMs)
                .put("stillScaleMs", stills / 1e6 / n).put("stillJpegMs", jpegs / 1e6 / n).put("jpegBytes", jpegBytes / FRAMES)
                .put("thumbnailEverySecondShareOfEncode", stillMs / (encodeMs * 25));
        System.out.println("OVERLAY BENCH " + result.encodePrettily());
        Files.createDirectories(Path.of("target/bench"));
        Files.writeString(Path.of("target/bench/overlay.json"), result.encodePrettily());
    }

    private static AVFrame frame(int w, int h) {
        AVFrame f = av_frame_alloc();
        f.width(w);
        f.height(h);
        f.format(AV_PIX_FMT_YUV420P);
        av_frame_get_buffer(f, 32);
        return f;
    }
}
