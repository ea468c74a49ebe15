package io.roomcast.demo;

import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.Java2DFrameConverter;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.ShortBuffer;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_OPUS;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_VP8;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_BGR24;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;

/**
 * One simulated participant, as an SFU would forward it: a camera (a moving picture with the
 * participant's name, VP8) and a microphone (its part of the {@link Script}, Opus), encoded
 * in-process by FFmpeg and sent as real RTP over UDP to the node's ingest port, paced in real time
 * by one thread. The thread owns both encoders and the picture converter and closes them once.
 */
final class SimulatedParticipant implements AutoCloseable {
    static final int WIDTH = 320;
    static final int HEIGHT = 180;
    static final int FPS = 15;
    private static final Logger LOG = Logger.getLogger(SimulatedParticipant.class.getName());
    private static final int CHUNK = Script.RATE / 50; // 20 ms of samples per audio frame

    final String participantId;
    final String name;
    final long audioSsrc;
    final long videoSsrc;
    private final short[] voice;
    private final Color colour;
    private final Thread thread;
    private volatile boolean running = true;
    private String target;
    private long startNanos;

    SimulatedParticipant(String participantId, String name, long audioSsrc, long videoSsrc, short[] voice, Color colour) {
        this.participantId = participantId;
        this.name = name;
        this.audioSsrc = audioSsrc;
        this.videoSsrc = videoSsrc;
        this.voice = voice;
        this.colour = colour;
        this.thread = new Thread(this::run, "roomcast-demo-" + participantId);
        this.thread.setDaemon(true);
    }

    /** Starts sending to the node's RTP ingest at {@code host:port} (the join answer's {@code ingest}). */
    void start(String host, int port, long startNanos) {
        target = "rtp://" + host + ":" + port + "?rtcpport=" + port + "&pkt_size=1200";
        this.startNanos = startNanos;
        thread.start();
    }

    private void run() {
        FFmpegFrameRecorder camera = null;
        FFmpegFrameRecorder mic = null;
        try (Java2DFrameConverter converter = new Java2DFrameConverter()) {
            camera = camera();
            mic = microphone();
            BufferedImage picture = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_3BYTE_BGR);
            short[] stereo = new short[2 * CHUNK];
            long chunk = 0;
            long frame = 0;
            while (running) {
                long due = startNanos + Math.min(chunk * 20_000_000L, frame * 1_000_000_000L / FPS);
                long wait = due - System.nanoTime();
                if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
                if (chunk * 20_000_000L <= frame * 1_000_000_000L / FPS) {
                    // A whole buffer each time: the recorder reads a buffer from its start, whatever its position.
                    for (int i = 0; i < CHUNK; i++) {
                        short v = voice[(int) ((chunk * CHUNK + i) % voice.length)];
                        stereo[2 * i] = v;
                        stereo[2 * i + 1] = v;
                    }
                    mic.recordSamples(Script.RATE, 2, ShortBuffer.wrap(stereo));
                    chunk++;
                } else {
                    draw(picture, frame);
                    Frame f = converter.convert(picture);
                    camera.record(f, AV_PIX_FMT_BGR24);
                    frame++;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            if (running) LOG.log(Level.WARNING, "simulated participant " + participantId + " stopped sending", e);
        } finally {
            close(camera);
            close(mic);
        }
    }

    private FFmpegFrameRecorder camera() throws FFmpegFrameRecorder.Exception {
        FFmpegFrameRecorder r = new FFmpegFrameRecorder(target, WIDTH, HEIGHT);
        r.setFormat("rtp");
        r.setVideoCodec(AV_CODEC_ID_VP8);
        r.setPixelFormat(AV_PIX_FMT_YUV420P);
        r.setFrameRate(FPS);
        r.setGopSize(FPS * 2);
        r.setVideoBitrate(300_000);
        // libvpx's fastest real-time mode on one thread: a simulated camera should cost the node's machine little.
        r.setVideoOption("deadline", "realtime");
        r.setVideoOption("cpu-used", "16");
        r.setVideoOption("threads", "1");
        r.setOption("ssrc", Long.toString(videoSsrc));
        r.setOption("payload_type", Integer.toString(Demo.VIDEO_PT));
        r.start();
        return r;
    }

    private FFmpegFrameRecorder microphone() throws FFmpegFrameRecorder.Exception {
        FFmpegFrameRecorder r = new FFmpegFrameRecorder(target, 2);
        r.setFormat("rtp");
        r.setAudioCodec(AV_CODEC_ID_OPUS);
        r.setSampleRate(48000);
        r.setAudioChannels(2);
        r.setAudioBitrate(32000);
        r.setOption("ssrc", Long.toString(audioSsrc));
        r.setOption("payload_type", Integer.toString(Demo.AUDIO_PT));
        r.start();
        return r;
    }

    /** The camera: the participant's colour, a ball that moves, the name, and a bar while speaking. */
    private void draw(BufferedImage picture, long frame) {
        Graphics2D g = picture.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(colour.darker().darker());
            g.fillRect(0, 0, WIDTH, HEIGHT);
            double t = frame / (double) FPS;
            int x = (int) ((Math.sin(t * 1.3) * 0.4 + 0.5) * (WIDTH - 40));
            int y = (int) ((Math.cos(t * 0.9) * 0.35 + 0.4) * (HEIGHT - 40));
            g.setColor(colour);
            g.fillOval(x, y, 40, 40);
            g.setStroke(new BasicStroke(3));
            g.setColor(Color.WHITE);
            g.drawOval(x, y, 40, 40);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 22));
            FontMetrics m = g.getFontMetrics();
            g.drawString(name, (WIDTH - m.stringWidth(name)) / 2, HEIGHT / 2 + m.getAscent() / 2);
            if (speaking(frame)) {
                g.setColor(Color.GREEN);
                g.fillRect(0, HEIGHT - 8, WIDTH, 8);
            }
        } finally {
            g.dispose();
        }
    }

    private boolean speaking(long frame) {
        int at = (int) (frame * Script.RATE / FPS % voice.length);
        for (int i = at; i < Math.min(voice.length, at + Script.RATE / FPS); i += 16) {
            if (Math.abs(voice[i]) > 800) return true;
        }
        return false;
    }

    private static void close(FFmpegFrameRecorder r) {
        if (r == null) return;
        try {
            r.close();
        } catch (Exception e) {
            LOG.log(Level.FINE, "closing a demo encoder", e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(5000);
    }
}
