package io.roomcast.encode;

import io.vertx.core.json.JsonObject;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_get_buffer;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_make_writable;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The machine's libopenh264 through JNA, without the fallback: a stream FFmpeg decodes picture for picture. */
class OpenH264VideoTest {
    static final int FRAMES = 130;
    @TempDir
    Path dir;

    @Test
    void encodesAStreamFfmpegDecodesWithIdrsWhereAsked() throws Exception {
        assumeTrue(SystemOpenH264.available(), "no libopenh264 on this machine");
        OutputConfig config = new Presets(Path.of("pipelines").toAbsolutePath(), "grid-360p").resolve("grid-360p", new JsonObject());
        AVFrame f = av_frame_alloc();
        f.width(config.width());
        f.height(config.height());
        f.format(AV_PIX_FMT_YUV420P);
        av_frame_get_buffer(f, 32);
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        List<Long> keyframes = new ArrayList<>();
        try (OpenH264Video e = new OpenH264Video(config)) {
            byte[] extradata = new byte[e.parameters().extradata_size()];
            e.parameters().extradata().get(extradata);
            assertArrayEquals(new byte[] {0, 0, 0, 1, 0x67}, Arrays.copyOf(extradata, 5), "SPS first, Annex B");
            stream.write(extradata);
            for (int i = 0; i < FRAMES; i++) {
                av_frame_make_writable(f);
                for (int p = 0; p < 3; p++) f.data(p).fill((i * 7 + p * 40) & 0xff);
                e.encode(f, i, i == 20, packet -> {
                    if (packet.key()) keyframes.add(packet.pts());
                    stream.writeBytes(packet.data());
                });
            }
        } finally {
            av_frame_free(f);
        }
        assertEquals(0L, keyframes.get(0), "an IDR first: " + keyframes);
        assertTrue(keyframes.contains(20L), "an IDR where one was asked for: " + keyframes);
        keyframes.add((long) FRAMES);
        for (int i = 1; i < keyframes.size(); i++) {
            assertTrue(keyframes.get(i) - keyframes.get(i - 1) <= config.gop(), "an IDR at least every gop (" + config.gop() + "): " + keyframes);
        }
        Path file = dir.resolve("out.h264");
        Files.write(file, stream.toByteArray());
        int pictures = 0;
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(file.toString())) {
            g.start();
            while (g.grabImage() != null) pictures++;
            assertEquals(config.width(), g.getImageWidth());
        }
        assertEquals(FRAMES, pictures);
    }
}
