package io.roomcast.ingest;

import io.roomcast.room.RoomService.TrackBinding;
import io.vertx.core.net.SocketAddress;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.ShortPointer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

import static org.bytedeco.ffmpeg.global.avutil.AV_SAMPLE_FMT_FLT;
import static org.bytedeco.ffmpeg.global.avutil.AV_SAMPLE_FMT_FLTP;
import static org.bytedeco.ffmpeg.global.avutil.AV_SAMPLE_FMT_S16;
import static org.bytedeco.ffmpeg.global.avutil.AV_SAMPLE_FMT_S16P;

/**
 * One track's path from packets to decoded media: jitter buffer, depacketizer, decoder, clock.
 * Everything but {@link #source}/{@link #admit} runs on the room's media thread, which owns the
 * decoder and closes it once.
 */
final class TrackReceiver implements JitterBuffer.Output {
    /** Asks the sender for a keyframe; called on the media thread. {@code repeat} counts unanswered asks before. */
    interface KeyframeRequester {
        void request(TrackReceiver receiver, int repeat);
    }

    /** A keyframe within this long of a request answers it (a browser answers within a round trip). */
    static final long ANSWER_WINDOW_NANOS = 1_500_000_000L;
    /** A track that has not shown that it answers is asked again this often, right after a keyframe. */
    static final long PROBE_INTERVAL_NANOS = 20_000_000_000L;
    /** A request counts as a measurement only this soon after a keyframe, so periodic keyframes are no answer. */
    static final long PROBE_AFTER_KEYFRAME_NANOS = 300_000_000L;
    private static final long NONE = Long.MIN_VALUE;

    final TrackBinding binding;
    final TrackStats stats;
    final boolean video;
    private final JitterBuffer jitter;
    private final Depacketizer depacketizer;
    private final TrackClock clock;
    private final List<MediaSink> sinks;
    private final KeyframeRequester keyframes;
    private final long keyframeIntervalNanos;
    private final Consumer<EncodedFrame> onFrame = this::frame;
    private Decoder decoder;
    private boolean closed;

    // Written by the socket thread only.
    volatile SocketAddress source;
    /** Where RTCP for this SSRC comes from, when not from the RTP source: where the sender reads feedback. */
    volatile SocketAddress rtcpSource;
    /** When the source was latched (socket thread), and when the stream last restarted (media thread). */
    volatile long latchedAtMillis;
    volatile long restartedAtMillis;
    /** A new source on the latched host, proving itself by packets in sequence (socket thread only). */
    SocketAddress candidate;
    final ArrayList<RtpPacket> candidatePackets = new ArrayList<>(4);
    /** A sender report that came before the first packet (socket thread only). */
    long[] earlySenderReport;
    String earlySenderReportHost;
    volatile boolean silent;
    private final long maxPacketsPerSecond;
    private long windowStartNanos;
    private long windowCount;

    // Media-thread state.
    private boolean waitingForKeyframe = true;
    /** A copy of the encoded frames (a track recording) waits for its first keyframe. */
    private boolean copyWaitsForKeyframe;
    private long lastKeyframeRequest = Long.MIN_VALUE / 2;
    /** When the oldest unanswered keyframe request was sent, or NONE. */
    private long requestedAt = NONE;
    /** Whether that request measures the sender (sent before any keyframe or right after one). */
    private boolean measuring;
    private int unansweredRepeats;
    private long lastKeyframeAt = NONE;
    private long nextProbeAt = NONE;
    private long currentArrivalUnixMicros;
    private final short[] pcm = new short[5760 * 2];
    private final float[][] floatPlanes = {new float[0], new float[0]};
    private short[] lastAudio;
    private int lastAudioSamples;
    private long lastAudioEndMicros = Long.MIN_VALUE;

    TrackReceiver(TrackBinding binding, long sessionStartUnixMicros, long jitterNanos, long maxPacketsPerSecond,
                  long keyframeIntervalNanos, List<MediaSink> sinks, KeyframeRequester keyframes) {
        this.binding = binding;
        this.video = binding.track().kind().equals("video");
        this.stats = new TrackStats(binding.track().clockRate());
        this.jitter = new JitterBuffer(video ? 2048 : 256, jitterNanos);
        this.depacketizer = Depacketizer.forCodec(binding.track().codec());
        this.clock = new TrackClock(binding.track().clockRate(), sessionStartUnixMicros);
        this.maxPacketsPerSecond = maxPacketsPerSecond;
        this.keyframeIntervalNanos = keyframeIntervalNanos;
        this.sinks = sinks;
        this.keyframes = keyframes;
    }

    /** When the stream last started: latched, or restarted. */
    long startedAtMillis() {
        return Math.max(latchedAtMillis, restartedAtMillis);
    }

    /** Socket thread: the per-SSRC packet rate limit. */
    boolean admit(long nowNanos) {
        if (nowNanos - windowStartNanos >= 1_000_000_000L) {
            windowStartNanos = nowNanos;
            windowCount = 0;
        }
        return ++windowCount <= maxPacketsPerSecond;
    }

    // ---- media thread ----

    void packet(RtpPacket p) {
        if (closed) return;
        switch (jitter.insert(p)) {
            case LATE -> stats.late.incrementAndGet();
            case DUPLICATE -> stats.duplicates.incrementAndGet();
            case RESYNC -> discontinuity();
            case ACCEPTED -> {
            }
        }
    }

    /**
     * The sender restarted (new sequence and timestamp base, or a new source): a discontinuity, not
     * loss. The clock anchors afresh; video waits for a keyframe, which is asked for at once.
     */
    void discontinuity() {
        if (closed) return;
        stats.restarts.incrementAndGet();
        restartedAtMillis = System.currentTimeMillis();
        clock.restart();
        depacketizer.lost();
        lastAudioEndMicros = Long.MIN_VALUE;
        if (video) {
            lastKeyframeRequest = Long.MIN_VALUE / 2;
            needKeyframe();
        }
    }

    /** The socket thread re-latched the source: start afresh on the media thread. */
    void sourceChanged() {
        if (closed) return;
        jitter.reset();
        discontinuity();
    }

    void drain(long nowNanos) {
        if (!closed) jitter.drain(nowNanos, this);
    }

    void senderReport(long rtpTimestamp, long unixMicros) {
        if (closed) return;
        clock.senderReport(rtpTimestamp, unixMicros);
        stats.senderReportsIgnored.set(clock.reportsIgnored());
    }

    @Override
    public void lost(long firstExtSeq, int count) {
        stats.lost.addAndGet(count);
        depacketizer.lost();
        if (video) {
            needKeyframe();
        } else {
            conceal();
        }
    }

    @Override
    public void packet(RtpPacket p, long extSeq) {
        currentArrivalUnixMicros = System.currentTimeMillis() * 1000 - (System.nanoTime() - p.arrivalNanos) / 1000;
        depacketizer.packet(p, onFrame);
    }

    private void frame(EncodedFrame f) {
        long micros = Long.MIN_VALUE;
        if (video) {
            long now = System.nanoTime();
            measure(f.keyframe(), now);
            copyWaitsForKeyframe = copyWantsKeyframe();
            if (copyWaitsForKeyframe && !f.keyframe()) requestKeyframe();
            micros = sessionMicros(f);
            for (MediaSink s : sinks) s.encodedVideo(binding, micros, f.data(), f.keyframe());
            if (!videoWanted()) {
                if (stats.keyframeResponse == KeyframeResponse.ANSWERED) {
                    // Nothing shows this participant's pictures and the sender answers keyframe requests:
                    // skip decoding, and start again from a keyframe asked for once an output needs them.
                    waitingForKeyframe = true;
                    stats.framesNotDecoded.incrementAndGet();
                    return;
                }
                probe(f.keyframe(), now);
            }
        }
        if (video && waitingForKeyframe) {
            if (!f.keyframe()) {
                stats.framesDropped.incrementAndGet();
                requestKeyframe();
                return;
            }
            waitingForKeyframe = false;
        }
        if (decoder == null) decoder = new Decoder(binding.track().codec());
        if (!video) micros = sessionMicros(f);
        long at = micros;
        if (!video) for (MediaSink s : sinks) s.encodedAudio(binding, at, f.data());
        int r = decoder.decode(f.data(), frame -> {
            stats.framesDecoded.incrementAndGet();
            if (video) {
                for (MediaSink s : sinks) s.video(binding, at, frame);
            } else {
                int n = toMono(frame);
                rememberAudio(n, at);
                for (MediaSink s : sinks) s.audio(binding, at, pcm, n, false);
            }
        });
        if (r < 0) {
            stats.decodeErrors.incrementAndGet();
            if (video) needKeyframe();
        }
    }

    private long sessionMicros(EncodedFrame f) {
        long micros = clock.sessionMicros(f.rtpTimestamp(), currentArrivalUnixMicros);
        stats.clockReanchors.set(clock.reanchors());
        return micros;
    }

    private boolean copyWantsKeyframe() {
        for (MediaSink s : sinks) if (s.wantsKeyframe(binding)) return true;
        return false;
    }

    /** Keyframe bookkeeping: whether the outstanding request was answered within the window. */
    private void measure(boolean keyframe, long now) {
        if (keyframe) {
            stats.keyframes.incrementAndGet();
            lastKeyframeAt = now;
            if (requestedAt != NONE) {
                if (measuring && now - requestedAt <= ANSWER_WINDOW_NANOS) stats.keyframeResponse = KeyframeResponse.ANSWERED;
                requestedAt = NONE;
            }
            unansweredRepeats = 0;
        } else if (requestedAt != NONE && measuring && now - requestedAt > ANSWER_WINDOW_NANOS) {
            stats.keyframeResponse = KeyframeResponse.UNANSWERED;
            measuring = false; // asks go on while a keyframe is needed; this one has been judged
        }
    }

    /**
     * A track decoded although nothing shows it (it has not shown that it answers): ask it now and then,
     * right after a keyframe, so that only a real answer can come within the window.
     */
    private void probe(boolean keyframe, long now) {
        if (requestedAt != NONE || lastKeyframeAt == NONE || now - lastKeyframeAt > PROBE_AFTER_KEYFRAME_NANOS) return;
        if (keyframe || (nextProbeAt != NONE && now < nextProbeAt)) return;
        nextProbeAt = now + PROBE_INTERVAL_NANOS;
        lastKeyframeRequest = Long.MIN_VALUE / 2;
        requestKeyframe();
    }

    private boolean videoWanted() {
        String session = binding.sessionId();
        for (MediaSink s : sinks) if (s.wantsVideo(session)) return true;
        return false;
    }

    private void needKeyframe() {
        waitingForKeyframe = true;
        requestKeyframe();
    }

    /**
     * Asks for a keyframe, at most once per interval, while the pictures are decoded: an output shows them,
     * or the sender has not shown that it answers (then a picture must be ready before an output asks).
     * Repeats go on, one per interval, until a keyframe comes.
     */
    private void requestKeyframe() {
        if (!videoWanted() && !copyWaitsForKeyframe && stats.keyframeResponse == KeyframeResponse.ANSWERED) return;
        long now = System.nanoTime();
        if (now - lastKeyframeRequest < keyframeIntervalNanos) return;
        lastKeyframeRequest = now;
        if (requestedAt == NONE) {
            requestedAt = now;
            // Every request measures the sender, but one judged unanswered is promoted only by a request
            // that no periodic keyframe can pass for (none seen yet, or one just came). An answer that was a
            // coincidence is judged again at the next request, so a sender that fails is decoded again.
            measuring = stats.keyframeResponse != KeyframeResponse.UNANSWERED || lastKeyframeAt == NONE
                    || now - lastKeyframeAt <= PROBE_AFTER_KEYFRAME_NANOS;
        }
        stats.keyframeRequests.incrementAndGet();
        keyframes.request(this, unansweredRepeats++);
    }

    /** Downmixes a decoded audio frame into {@link #pcm}; returns the sample count. */
    private int toMono(AVFrame f) {
        int n = Math.min(f.nb_samples(), pcm.length);
        int channels = Math.max(1, f.ch_layout().nb_channels());
        int fmt = f.format();
        // Samples are copied out in bulk: one native read per plane, not one per sample.
        if (fmt == AV_SAMPLE_FMT_FLTP) {
            float[] l = floats(0, n);
            new FloatPointer(f.data(0)).get(l, 0, n);
            if (channels > 1) {
                float[] r = floats(1, n);
                new FloatPointer(f.data(1)).get(r, 0, n);
                for (int i = 0; i < n; i++) pcm[i] = toShort((l[i] + r[i]) * 0.5f);
            } else {
                for (int i = 0; i < n; i++) pcm[i] = toShort(l[i]);
            }
        } else if (fmt == AV_SAMPLE_FMT_FLT) {
            float[] d = floats(0, n * channels);
            new FloatPointer(f.data(0)).get(d, 0, n * channels);
            for (int i = 0; i < n; i++) {
                float sum = 0;
                for (int c = 0; c < channels; c++) sum += d[i * channels + c];
                pcm[i] = toShort(sum / channels);
            }
        } else if (fmt == AV_SAMPLE_FMT_S16) {
            ShortPointer d = new ShortPointer(f.data(0));
            for (int i = 0; i < n; i++) {
                int sum = 0;
                for (int c = 0; c < channels; c++) sum += d.get((long) i * channels + c);
                pcm[i] = (short) (sum / channels);
            }
        } else if (fmt == AV_SAMPLE_FMT_S16P) {
            ShortPointer l = new ShortPointer(f.data(0));
            ShortPointer r = channels > 1 ? new ShortPointer(f.data(1)) : l;
            for (int i = 0; i < n; i++) pcm[i] = (short) ((l.get(i) + r.get(i)) / 2);
        } else {
            Arrays.fill(pcm, 0, n, (short) 0);
        }
        return n;
    }

    /** A reused buffer for {@code n} floats of plane {@code plane}. */
    private float[] floats(int plane, int n) {
        if (floatPlanes[plane].length < n) floatPlanes[plane] = new float[n];
        return floatPlanes[plane];
    }

    private static short toShort(float v) {
        float s = v * 32767f;
        if (s > 32767f) return 32767;
        if (s < -32768f) return -32768;
        return (short) s;
    }

    private void rememberAudio(int n, long micros) {
        if (lastAudio == null || lastAudio.length < n) lastAudio = new short[n];
        System.arraycopy(pcm, 0, lastAudio, 0, n);
        lastAudioSamples = n;
        lastAudioEndMicros = micros + n * 1_000_000L / 48_000;
    }

    /**
     * Fills a gap in audio: the last frame once more at half level, then nothing (the mixer fills
     * silence). libavcodec's Opus decoder takes no "packet lost" call, so this is done here.
     */
    private void conceal() {
        if (lastAudio == null || lastAudioEndMicros == Long.MIN_VALUE) return;
        int n = lastAudioSamples;
        for (int i = 0; i < n; i++) {
            float fade = 0.5f * (1f - (float) i / n);
            pcm[i] = (short) (lastAudio[i] * fade);
        }
        long micros = lastAudioEndMicros;
        lastAudioEndMicros = Long.MIN_VALUE; // conceal one frame per gap
        for (MediaSink s : sinks) s.audio(binding, micros, pcm, n, true);
    }

    void close() {
        if (closed) return;
        closed = true;
        if (decoder != null) {
            decoder.close();
            decoder = null;
        }
    }
}
