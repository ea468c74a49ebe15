package io.roomcast.support;

import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;

import org.bytedeco.ffmpeg.avutil.AVFrame;

import java.lang.reflect.Field;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.ShortBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_H264;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_OPUS;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_VP8;
import static org.bytedeco.ffmpeg.global.avutil.AV_PICTURE_TYPE_I;
import static org.bytedeco.ffmpeg.global.avutil.AV_PICTURE_TYPE_NONE;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;

/**
 * RTP produced by someone else's code: FFmpeg's own encoders (libopus, libvpx, OpenH264) and its RTP
 * muxer, driven through JavaCV, paced in real time, RTCP sent to the same port (rtcp-mux).
 */
public final class RtpSender implements AutoCloseable {
    private final FFmpegFrameRecorder recorder;
    private final boolean video;
    private final int width;
    private final int height;
    private Thread thread;
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile Throwable failure;
    private volatile long sentUnits;
    private boolean paced = true;
    private boolean talkingHead;
    private boolean flashes;
    private long startNanos = -1;
    /** Browser-like senders: their own socket in front of the muxer, reading the node's feedback. */
    private FeedbackSocket feedback;

    private RtpSender(FFmpegFrameRecorder recorder, boolean video, int width, int height) {
        this.recorder = recorder;
        this.video = video;
        this.width = width;
        this.height = height;
    }

    /**
     * Video as a browser sends it: one keyframe at the start and then only when asked (PLI or FIR read
     * on the socket it sends from), or never again when {@code answers} is false (a sender whose
     * feedback path is missing). The muxer's RTP and RTCP leave through one socket of this sender's.
     */
    public static RtpSender browserVideo(int port, long ssrc, int payloadType, String codec, int width, int height,
                                         boolean answers) throws Exception {
        FeedbackSocket fb = new FeedbackSocket(port, answers);
        RtpSender s = video(fb.port(), ssrc, payloadType, codec, width, height, 0, 1_000_000);
        s.feedback = fb;
        return s;
    }

    /** Keyframe requests this sender read (browser-like senders only). */
    public int keyframeRequestsSeen() {
        return feedback == null ? 0 : feedback.requests.get();
    }

    static String url(int port) {
        return "rtp://127.0.0.1:" + port + "?rtcpport=" + port + "&pkt_size=1200";
    }

    /** Opus, 48 kHz, from 16-bit mono samples at {@code sampleRate}. */
    public static RtpSender opus(int port, long ssrc, int payloadType) throws Exception {
        return opus(port, ssrc, payloadType, 0);
    }

    /**
     * Opus whose RTCP sender reports say sample 0 was taken at {@code startUnixMicros} (0: when the
     * muxer opened); with {@link #startingAt} at the same instant, the reports tell the truth.
     */
    public static RtpSender opus(int port, long ssrc, int payloadType, long startUnixMicros) throws Exception {
        FFmpegFrameRecorder r = new FFmpegFrameRecorder(url(port), 2);
        if (startUnixMicros > 0) r.setOption("start_time_realtime", Long.toString(startUnixMicros));
        r.setFormat("rtp");
        r.setAudioCodec(AV_CODEC_ID_OPUS);
        r.setSampleRate(48000);
        r.setAudioChannels(2);
        r.setAudioBitrate(48000);
        r.setOption("ssrc", Long.toString(ssrc));
        r.setOption("payload_type", Integer.toString(payloadType));
        r.start();
        return new RtpSender(r, false, 0, 0);
    }

    /** VP8 or H.264 at width x height, 25 fps, a keyframe every 2 s. */
    public static RtpSender video(int port, long ssrc, int payloadType, String codec, int width, int height) throws Exception {
        return video(port, ssrc, payloadType, codec, width, height, 0);
    }

    /** Video whose sender reports date frame 0 at {@code startUnixMicros} (see {@link #opus(int, long, int, long)}). */
    public static RtpSender video(int port, long ssrc, int payloadType, String codec, int width, int height,
                                  long startUnixMicros) throws Exception {
        return video(port, ssrc, payloadType, codec, width, height, startUnixMicros, 50);
    }

    private static RtpSender video(int port, long ssrc, int payloadType, String codec, int width, int height,
                                   long startUnixMicros, int gop) throws Exception {
        FFmpegFrameRecorder r = new FFmpegFrameRecorder(url(port), width, height);
        if (startUnixMicros > 0) r.setOption("start_time_realtime", Long.toString(startUnixMicros));
        r.setFormat("rtp");
        r.setVideoCodec(codec.equals("h264") ? AV_CODEC_ID_H264 : AV_CODEC_ID_VP8);
        r.setPixelFormat(AV_PIX_FMT_YUV420P);
        r.setFrameRate(25);
        r.setGopSize(gop);
        if (gop > 50) r.setVideoOption("auto-alt-ref", "0");
        r.setVideoBitrate(600_000);
        if (codec.equals("vp8")) {
            r.setVideoOption("deadline", "realtime");
            r.setVideoOption("cpu-used", "8");
        }
        r.setOption("ssrc", Long.toString(ssrc));
        r.setOption("payload_type", Integer.toString(payloadType));
        r.start();
        return new RtpSender(r, true, width, height);
    }

    /**
     * Video like a webcam call: a still background and a moving, textured head-sized area, instead of
     * the default picture in which every pixel changes every frame (the worst case for a decoder).
     */
    public RtpSender talkingHead() {
        talkingHead = true;
        return this;
    }

    /** A dark picture with one white frame every 2 s (at 1 s, 3 s, ...): half of a flash-and-beep source. */
    public RtpSender flashes() {
        flashes = true;
        return this;
    }

    /** Paces from this wall-clock instant instead of from the start call: senders started together. */
    public RtpSender startingAt(long unixMicros) {
        startNanos = System.nanoTime() + (unixMicros - System.currentTimeMillis() * 1000) * 1000;
        return this;
    }

    /** Encodes as fast as possible instead of in real time (for capturing packets to replay). */
    public RtpSender unpaced() {
        paced = false;
        return this;
    }

    /** Sends a 440 Hz tone (audio) or a moving test picture (video) in real time for {@code seconds}. */
    public RtpSender startTestSignal(double seconds) {
        return start(seconds, null, 0);
    }

    /** Sends these 16-bit mono samples (audio senders only) in real time. */
    public RtpSender startSamples(short[] samples, int sampleRate) {
        return start(samples.length / (double) sampleRate, samples, sampleRate);
    }

    private RtpSender start(double seconds, short[] samples, int rate) {
        running.set(true);
        thread = new Thread(() -> {
            try {
                if (video) sendVideo(seconds);
                else sendAudio(seconds, samples, rate);
            } catch (Throwable t) {
                failure = t;
            }
        }, "rtp-sender");
        thread.start();
        return this;
    }

    private void sendAudio(double seconds, short[] samples, int rate) throws Exception {
        int sampleRate = samples == null ? 48000 : rate;
        int chunk = sampleRate / 50; // 20 ms
        long total = (long) (seconds * sampleRate);
        long t0 = startNanos >= 0 ? startNanos : System.nanoTime();
        pace(t0, 0);
        for (long pos = 0; pos < total && running.get(); pos += chunk) {
            // Interleaved stereo, as the encoder is set up: JavaCV's mono-to-stereo path garbles the signal.
            short[] buf = new short[chunk * 2];
            for (int i = 0; i < chunk; i++) {
                long n = pos + i;
                short v = samples == null ? (short) (8000 * Math.sin(2 * Math.PI * 440 * n / sampleRate))
                        : n < samples.length ? samples[(int) n] : 0;
                buf[2 * i] = v;
                buf[2 * i + 1] = v;
            }
            recorder.recordSamples(sampleRate, 2, ShortBuffer.wrap(buf));
            sentUnits = pos + chunk;
            pace(t0, (pos + chunk) * 1_000_000_000L / sampleRate);
        }
    }

    private void sendVideo(double seconds) throws Exception {
        int frames = (int) Math.round(seconds * 25);
        Frame frame = new Frame(width, height, Frame.DEPTH_UBYTE, 3);
        ByteBuffer buf = (ByteBuffer) frame.image[0];
        int stride = frame.imageStride;
        long t0 = startNanos >= 0 ? startNanos : System.nanoTime();
        pace(t0, 0);
        for (int f = 0; f < frames && running.get(); f++) {
            if (flashes) {
                byte level = (byte) (f % 50 == 25 ? 250 : 20);
                for (int i = 0; i < stride * height; i++) buf.put(i, level);
            } else if (talkingHead) {
                drawTalkingHead(buf, stride, f);
            } else {
                for (int y = 0; y < height; y++) {
                    for (int x = 0; x < width; x++) {
                        int i = y * stride + x * 3;
                        buf.put(i, (byte) ((x + f * 4) & 0xff));
                        buf.put(i + 1, (byte) ((y + f * 2) & 0xff));
                        buf.put(i + 2, (byte) ((x ^ y) & 0xff));
                    }
                }
            }
            recorder.setTimestamp(f * 40_000L);
            boolean force = feedback != null && feedback.keyframeAsked.getAndSet(false);
            if (force) forceKeyframe(true);
            recorder.record(frame);
            if (force) forceKeyframe(false);
            sentUnits = f + 1;
            pace(t0, (f + 1) * 40_000_000L);
        }
        frame.close();
    }

    /**
     * JavaCV's recorder has no call for "make this frame a keyframe", but it hands its own picture to
     * the encoder as it is: its picture type asks libavcodec for an intra frame.
     */
    private void forceKeyframe(boolean on) throws Exception {
        Field f = FFmpegFrameRecorder.class.getDeclaredField("picture");
        f.setAccessible(true);
        AVFrame picture = (AVFrame) f.get(recorder);
        picture.pict_type(on ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE);
    }

    private void drawTalkingHead(ByteBuffer buf, int stride, int f) {
        double cx = width / 2.0 + Math.sin(f / 20.0) * width / 16;
        double cy = height / 2.0 + Math.cos(f / 27.0) * height / 24;
        double rx = width / 8.0;
        double ry = height / 3.5;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int i = y * stride + x * 3;
                double dx = (x - cx) / rx;
                double dy = (y - cy) / ry;
                if (dx * dx + dy * dy < 1) {
                    int t = (int) (40 * Math.sin((x + f * 3) / 7.0) * Math.cos((y - f * 2) / 9.0));
                    buf.put(i, (byte) (140 + t));
                    buf.put(i + 1, (byte) (160 + t));
                    buf.put(i + 2, (byte) (200 + t));
                } else {
                    buf.put(i, (byte) (60 + y / 8));
                    buf.put(i + 1, (byte) (70 + x / 10));
                    buf.put(i + 2, (byte) 80);
                }
            }
        }
    }

    private void pace(long t0, long dueNanos) throws InterruptedException {
        if (!paced) return;
        long wait = t0 + dueNanos - System.nanoTime();
        if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
    }

    /** Frames (video) or samples (audio) handed to the encoder so far. */
    public long sent() {
        return sentUnits;
    }

    /** Waits for the signal to finish; rethrows a sender failure. */
    public void join() throws Exception {
        thread.join();
        if (failure != null) throw new IllegalStateException("RTP sender failed", failure);
    }

    @Override
    public void close() throws Exception {
        running.set(false);
        if (thread != null) thread.join(10_000);
        try {
            recorder.stop();
        } finally {
            recorder.release();
            if (feedback != null) feedback.close();
        }
    }

    /** The socket a browser-like sender sends from: relays the muxer's packets, reads PLI/FIR coming back. */
    private static final class FeedbackSocket implements AutoCloseable {
        private final DatagramSocket socket;
        private final InetSocketAddress node;
        private final boolean answers;
        private final AtomicBoolean keyframeAsked = new AtomicBoolean();
        private final AtomicInteger requests = new AtomicInteger();
        private final Thread thread;

        FeedbackSocket(int nodePort, boolean answers) throws SocketException {
            this.socket = new DatagramSocket(0, InetAddress.getLoopbackAddress());
            this.node = new InetSocketAddress(InetAddress.getLoopbackAddress(), nodePort);
            this.answers = answers;
            thread = new Thread(this::run, "rtp-sender-feedback");
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        private void run() {
            byte[] buf = new byte[2048];
            while (!socket.isClosed()) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                try {
                    socket.receive(p);
                    if (p.getSocketAddress().equals(node)) {
                        // Feedback from the node: payload-specific feedback, PLI (FMT 1) or FIR (FMT 4).
                        int fmt = buf[0] & 0x1f;
                        if ((buf[1] & 0xff) == 206 && (fmt == 1 || fmt == 4)) {
                            requests.incrementAndGet();
                            if (answers) keyframeAsked.set(true);
                        }
                    } else {
                        socket.send(new DatagramPacket(buf, p.getLength(), node));
                    }
                } catch (Exception e) {
                    if (socket.isClosed()) return;
                }
            }
        }

        @Override
        public void close() {
            socket.close();
        }
    }
}
