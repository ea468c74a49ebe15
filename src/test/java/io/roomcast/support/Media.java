package io.roomcast.support;

import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reading media back the way a user would: FFmpeg's own demuxers and decoders (through JavaCV) open
 * a file, an HTTP playlist or an RTMP stream we pushed, and report codecs, size and duration.
 */
public final class Media {
    private Media() {
    }

    public record Probe(String videoCodec, String audioCodec, int width, int height, double seconds,
                        long videoFrames, long audioFrames, double firstVideoSeconds, double lastVideoSeconds) {
    }

    /** Opens {@code url} and decodes everything: what a player would get. */
    public static Probe probe(String url) throws Exception {
        return probe(url, Long.MAX_VALUE);
    }

    /** Like {@link #probe(String)}, stopping after {@code maxVideoFrames} pictures (a live stream never ends). */
    public static Probe probe(String url, long maxVideoFrames) throws Exception {
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(url)) {
            g.start();
            long video = 0;
            long audio = 0;
            long first = -1;
            long last = 0;
            Frame f;
            while (video < maxVideoFrames && (f = g.grabFrame(true, true, true, false)) != null) {
                if (f.image != null) {
                    video++;
                    if (first < 0) first = f.timestamp;
                    last = f.timestamp;
                }
                if (f.samples != null) audio++;
            }
            return new Probe(g.getVideoCodecName(), g.getAudioCodecName(), g.getImageWidth(), g.getImageHeight(),
                    g.getLengthInTime() / 1e6, video, audio, first / 1e6, last / 1e6);
        }
    }

    /** GET {@code url} as given (no Authorization header): what a player or a browser does. */
    public static HttpResponse<String> get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    public static Path download(String url, Path to) throws Exception {
        HttpResponse<Path> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofFile(to));
        if (r.statusCode() != 200) throw new IllegalStateException("GET " + url + " answered " + r.statusCode());
        return to;
    }

    /**
     * An RTMP server made of FFmpeg's own listen mode: accepts one push, counts what it receives, and
     * can be stopped (the server "restarting") and started again on the same port.
     */
    public static final class RtmpListener implements AutoCloseable {
        private final String url;
        private final AtomicLong videoFrames = new AtomicLong();
        private final AtomicLong audioFrames = new AtomicLong();
        private final AtomicBoolean stop = new AtomicBoolean();
        private volatile String videoCodec;
        private volatile int width;
        private volatile Throwable failure;
        private final Thread thread;

        public RtmpListener(int port, String path) {
            this.url = "rtmp://127.0.0.1:" + port + "/" + path;
            thread = new Thread(this::run, "rtmp-listener-" + port);
            thread.setDaemon(true);
            thread.start();
        }

        private void run() {
            try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(url)) {
                g.setFormat("flv");
                g.setOption("listen", "1");
                g.setOption("rw_timeout", "60000000");
                g.start();
                videoCodec = g.getVideoCodecName();
                width = g.getImageWidth();
                Frame f;
                while (!stop.get() && (f = g.grabFrame(true, true, true, false)) != null) {
                    if (f.image != null) videoFrames.incrementAndGet();
                    if (f.samples != null) audioFrames.incrementAndGet();
                }
            } catch (Throwable t) {
                if (!stop.get()) failure = t;
            }
        }

        public long videoFrames() {
            return videoFrames.get();
        }

        public long audioFrames() {
            return audioFrames.get();
        }

        public String videoCodec() {
            return videoCodec;
        }

        public int width() {
            return width;
        }

        public Throwable failure() {
            return failure;
        }

        /** Drops the connection, as a server going down does. */
        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            thread.join(10_000);
        }
    }
}
