package io.roomcast.encode;

import io.vertx.core.json.JsonObject;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_GRAY8;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_get_buffer;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_make_writable;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The H.264 encoder alone, side by side in one run on the same pictures (a 1280x720 picture in
 * which every pixel moves every frame, 25 fps, 1.5 Mb/s, IDR every 2 s, one thread): JavaCV's
 * FFmpeg with its built-in OpenH264, the machine's libopenh264 through {@link SystemOpenH264}, and
 * GStreamer's {@code openh264enc} (Debian's plugin, the same system library) reading the same raw
 * pictures from a file. Reports CPU per picture, ratios, output size and luma PSNR against the
 * source. {@code mvn -B -Pbench verify -Dit.test=EncoderBench [-Dbench.frames=250]}.
 */
class EncoderBench {
    static final int W = 1280;
    static final int H = 720;
    static final int FPS = 25;
    static final int KBPS = 1500;
    static final int FRAMES = Integer.getInteger("bench.frames", 250);

    @TempDir
    Path work;

    /** Picture {@code i}: a pattern in which every pixel changes every frame, as the test pattern. */
    static void paint(AVFrame f, int i) {
        byte[] row = new byte[W];
        for (int r = 0; r < H; r++) {
            for (int c = 0; c < W; c++) row[c] = (byte) (((c + i * 4) ^ (r + i * 2)) + (c * r >> 12));
            f.data(0).position((long) r * f.linesize(0)).put(row, 0, W);
        }
        f.data(0).position(0);
        byte[] half = new byte[W / 2];
        for (int p = 1; p <= 2; p++) {
            for (int r = 0; r < H / 2; r++) {
                for (int c = 0; c < W / 2; c++) half[c] = (byte) (128 + (((c >> 3) + (r >> 3) + i * p) & 63) - 32);
                f.data(p).position((long) r * f.linesize(p)).put(half, 0, W / 2);
            }
            f.data(p).position(0);
        }
    }

    /** A camera-sized picture {@code i} ({@code f}'s own size) in which every pixel moves every frame. */
    static void paintSmall(AVFrame f, int i) {
        int w = f.width();
        int h = f.height();
        byte[] row = new byte[w];
        for (int r = 0; r < h; r++) {
            for (int c = 0; c < w; c++) row[c] = (byte) (((c + i * 4) ^ (r + i * 2)) + (c * r >> 11));
            f.data(0).position((long) r * f.linesize(0)).put(row, 0, w);
        }
        f.data(0).position(0);
        for (int p = 1; p <= 2; p++) {
            for (int r = 0; r < h / 2; r++) {
                for (int c = 0; c < w / 2; c++) row[c] = (byte) (128 + (((c >> 3) + (r >> 3) + i * p) & 63) - 32);
                f.data(p).position((long) r * f.linesize(p)).put(row, 0, w / 2);
            }
            f.data(p).position(0);
        }
    }

    record Run(String name, double msPerFrame, long bytes, double psnrY) {
        JsonObject json() {
            return new JsonObject().put("encoder", name).put("msPerFrame", msPerFrame).put("bytes", bytes).put("psnrY", psnrY);
        }
    }

    @Test
    void encoders() throws Exception {
        OutputConfig config = new Presets(Path.of("pipelines").toAbsolutePath(), "grid-720p").resolve("grid-720p",
                new JsonObject().put("videoBitrateKbps", KBPS));
        assertEquals(W, config.width());
        Path raw = work.resolve("source.yuv");
        AVFrame f = av_frame_alloc();
        f.width(W);
        f.height(H);
        f.format(AV_PIX_FMT_YUV420P);
        av_frame_get_buffer(f, 32);
        try (OutputStream out = Files.newOutputStream(raw)) {
            byte[] plane = new byte[W * H];
            for (int i = 0; i < FRAMES; i++) {
                paint(f, i);
                for (int p = 0; p < 3; p++) {
                    int w = p == 0 ? W : W / 2;
                    int h = p == 0 ? H : H / 2;
                    for (int r = 0; r < h; r++) {
                        f.data(p).position((long) r * f.linesize(p)).get(plane, r * w, w);
                    }
                    f.data(p).position(0);
                    out.write(plane, 0, w * h);
                }
            }
        }
        List<Run> runs = new ArrayList<>();
        runs.add(inProcess("JavaCV FFmpeg libopenh264 (bundled)", "libopenh264", config, f));
        if (SystemOpenH264.available()) runs.add(inProcess("system libopenh264 via JNA (Roomcast)", VideoEncoder.SYSTEM_OPENH264, config, f));
        Run gst = gstreamer(raw);
        if (gst != null) runs.add(gst);
        av_frame_free(f);

        Map<String, Object> ratios = new LinkedHashMap<>();
        for (Run r : runs) ratios.put(r.name(), r.msPerFrame() / runs.get(0).msPerFrame());
        JsonObject result = new JsonObject().put("frames", FRAMES).put("size", W + "x" + H).put("kbps", KBPS)
                .put("runs", runs.stream().map(Run::json).toList()).put("cpuRatioToBundled", new JsonObject(ratios));
        System.out.println("ENCODER BENCH " + result.encodePrettily());
        System.out.println("| encoder | ms CPU per picture | ratio to bundled | output | Y-PSNR |");
        System.out.println("| --- | --- | --- | --- | --- |");
        for (Run r : runs) {
            System.out.printf("| %s | %.2f | %.2f | %.2f MB | %.2f dB |%n", r.name(), r.msPerFrame(),
                    r.msPerFrame() / runs.get(0).msPerFrame(), r.bytes() / 1e6, r.psnrY());
        }
        Files.createDirectories(Path.of("target/bench"));
        Files.writeString(Path.of("target/bench/encoders.json"), result.encodePrettily());
    }

    private Run inProcess(String name, String encoder, OutputConfig config, AVFrame f) throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        long cpu = 0;
        try (VideoEncoder e = VideoEncoder.open(encoder, config)) {
            byte[] extradata = new byte[e.parameters().extradata_size()];
            e.parameters().extradata().get(extradata);
            stream.write(extradata);
            for (int i = 0; i < FRAMES; i++) {
                av_frame_make_writable(f);
                paint(f, i);
                long t0 = mx.getCurrentThreadCpuTime();
                e.encode(f, i, false, p -> stream.writeBytes(p.data()));
                cpu += mx.getCurrentThreadCpuTime() - t0;
            }
        }
        Path out = work.resolve(encoder + ".h264");
        Files.write(out, stream.toByteArray());
        return new Run(name, cpu / 1e6 / FRAMES, stream.size(), psnrY(out));
    }

    /** GStreamer's openh264enc on the same raw pictures; its CPU minus that of reading and parsing them alone. */
    private Run gstreamer(Path raw) throws Exception {
        Path out = work.resolve("gst.h264");
        String src = "filesrc location=" + raw + " ! rawvideoparse width=" + W + " height=" + H
                + " format=i420 framerate=" + FPS + "/1";
        double encode = childCpuSeconds(src + " ! openh264enc bitrate=" + KBPS * 1000 + " gop-size=" + 2 * FPS
                + " multi-thread=1 enable-frame-skip=false ! filesink location=" + out);
        if (encode < 0) return null;
        double read = childCpuSeconds(src + " ! fakesink");
        return new Run("GStreamer openh264enc (system libopenh264)", (encode - Math.max(0, read)) * 1000 / FRAMES,
                Files.size(out), psnrY(out));
    }

    /** user + system CPU of a gst-launch pipeline, from GNU time; -1 when GStreamer or the element is missing. */
    private double childCpuSeconds(String pipeline) throws Exception {
        Path times = work.resolve("time.txt");
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/time", "-f", "%U %S", "-o", times.toString(), "gst-launch-1.0", "-q"));
        cmd.addAll(List.of(pipeline.split(" ")));
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            return -1;
        }
        if (p.waitFor() != 0) return -1;
        String[] t = Files.readString(times).trim().split("\\s+");
        return Double.parseDouble(t[t.length - 2]) + Double.parseDouble(t[t.length - 1]);
    }

    /** Mean luma PSNR of an Annex B stream against the painted source pictures. */
    private static double psnrY(Path h264) throws Exception {
        AVFrame src = av_frame_alloc();
        src.width(W);
        src.height(H);
        src.format(AV_PIX_FMT_YUV420P);
        av_frame_get_buffer(src, 32);
        double sum = 0;
        int n = 0;
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(h264.toString())) {
            g.setPixelFormat(AV_PIX_FMT_GRAY8);
            g.start();
            Frame fr;
            byte[] row = new byte[W];
            while ((fr = g.grabImage()) != null && n < FRAMES) {
                paint(src, n);
                ByteBuffer img = (ByteBuffer) fr.image[0];
                double se = 0;
                for (int r = 0; r < H; r++) {
                    src.data(0).position((long) r * src.linesize(0)).get(row, 0, W);
                    for (int c = 0; c < W; c++) {
                        int d = (row[c] & 0xff) - (img.get(r * fr.imageStride + c) & 0xff);
                        se += d * d;
                    }
                }
                src.data(0).position(0);
                double mse = se / (W * H);
                sum += mse == 0 ? 99 : 10 * Math.log10(255 * 255 / mse);
                n++;
            }
        } finally {
            av_frame_free(src);
        }
        assertEquals(FRAMES, n, "every picture decodes: " + h264);
        return sum / n;
    }
}
