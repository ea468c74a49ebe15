package io.roomcast.encode;

import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.javacpp.FloatPointer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_FLAG_GLOBAL_HEADER;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_encoder_by_name;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_free;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_from_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_frame;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;
import static org.bytedeco.ffmpeg.global.avutil.AV_SAMPLE_FMT_FLTP;
import static org.bytedeco.ffmpeg.global.avutil.av_channel_layout_copy;
import static org.bytedeco.ffmpeg.global.avutil.av_channel_layout_default;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_get_buffer;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_make_writable;
import static org.bytedeco.ffmpeg.global.avutil.av_make_q;

/**
 * Encode once: one H.264 ({@link VideoEncoder}) + AAC encoder pair for every
 * output of a room that asks for the same {@link OutputConfig}. The room's media thread composes
 * pictures into canvases borrowed from a small pool and hands them, with the mixed audio, over in
 * one batch per tick; the encoder thread ({@code roomcast-encode-<room>}) encodes and gives each
 * packet to every attached {@link Sink}. The native encoders, frames and packets belong to this
 * object, are used on the encoder thread only after the constructor, and are freed once by
 * {@link #close}. A full pool or queue drops the picture (counted), never blocks the media thread.
 */
public final class EncodeGroup {
    private static final Logger LOG = Logger.getLogger(EncodeGroup.class.getName());
    public static final int AUDIO_RATE = 48_000;
    /** Pictures composed but not yet encoded: up to about half a second of encoder hiccup is absorbed. */
    private static final int CANVASES = 12;

    /** An output's muxer side: receives packets on the encoder thread and must not block. */
    public interface Sink {
        void packet(Packet p);
    }

    /** The {@code outputs.videoEncoder} name of the machine's own libopenh264. */
    public static final String SYSTEM_OPENH264 = VideoEncoder.SYSTEM_OPENH264;

    /** Whether this machine has a libopenh264 of its own (looked up once). */
    public static boolean systemOpenH264Available() {
        return SystemOpenH264.available();
    }

    public final OutputConfig config;
    public final String roomId;
    /** Session time (µs) of timeline 0. */
    public final long startMicros;
    private final String videoEncoderName;
    private VideoEncoder video;
    private AVCodecContext audio;
    private AVCodecParameters audioPar;
    private AVFrame audioFrame;
    private AVPacket packet;
    private final List<AVFrame> canvases = new ArrayList<>();
    private final ArrayBlockingQueue<AVFrame> free = new ArrayBlockingQueue<>(CANVASES);
    private final ThreadPoolExecutor thread;
    private final List<Sink> sinks = new CopyOnWriteArrayList<>();
    private volatile boolean forceKeyframe;
    /** The first picture (index) that must be a keyframe, for a cut planned ahead (a recording resuming). */
    private final AtomicLong keyframeFrom = new AtomicLong(Long.MAX_VALUE);
    private boolean closed;

    // media thread only
    private long nextFrame;
    private List<Object[]> batch = new ArrayList<>();
    // encoder thread only
    private final float[] pending = new float[AUDIO_RATE];
    private int pendingSamples;
    private int audioFrameSize; // the AAC encoder's samples per frame (1024)
    private long audioPts = -1;

    public final AtomicLong framesEncoded = new AtomicLong();
    public final AtomicLong framesDropped = new AtomicLong();
    public final AtomicLong encodeNanos = new AtomicLong();

    public EncodeGroup(String roomId, OutputConfig config, long startMicros, String videoEncoderName) {
        this.roomId = roomId;
        this.config = config;
        this.startMicros = startMicros;
        this.videoEncoderName = videoEncoderName;
        this.thread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(200), r -> {
            Thread t = new Thread(r, "roomcast-encode-" + roomId);
            t.setDaemon(true);
            return t;
        });
        try {
            openAudio();
            if (!config.audioOnly()) openVideo();
            packet = av_packet_alloc();
        } catch (RuntimeException e) {
            release();
            thread.shutdown();
            throw e;
        }
    }

    private void openVideo() {
        video = VideoEncoder.open(videoEncoderName, config);
        for (int i = 0; i < CANVASES; i++) {
            AVFrame f = av_frame_alloc();
            f.width(config.width());
            f.height(config.height());
            f.format(AV_PIX_FMT_YUV420P);
            if (av_frame_get_buffer(f, 32) < 0) throw new IllegalStateException("no memory for a canvas");
            canvases.add(f);
            free.add(f);
        }
    }

    private void openAudio() {
        AVCodec codec = avcodec_find_encoder_by_name("aac");
        audio = avcodec_alloc_context3(codec);
        audio.sample_fmt(AV_SAMPLE_FMT_FLTP);
        audio.sample_rate(AUDIO_RATE);
        av_channel_layout_default(audio.ch_layout(), 2);
        audio.bit_rate(config.audioKbps() * 1000L);
        audio.time_base(av_make_q(1, AUDIO_RATE));
        audio.flags(audio.flags() | AV_CODEC_FLAG_GLOBAL_HEADER);
        int r = avcodec_open2(audio, codec, (AVDictionary) null);
        if (r < 0) throw new IllegalStateException("cannot open the AAC encoder: " + r);
        audioPar = avcodec_parameters_alloc();
        avcodec_parameters_from_context(audioPar, audio);
        audioFrame = av_frame_alloc();
        audioFrameSize = audio.frame_size(); // read once: a native call per sample showed in the encoder thread's profile
        audioFrame.nb_samples(audioFrameSize);
        audioFrame.format(AV_SAMPLE_FMT_FLTP);
        audioFrame.sample_rate(AUDIO_RATE);
        av_channel_layout_copy(audioFrame.ch_layout(), audio.ch_layout());
        if (av_frame_get_buffer(audioFrame, 0) < 0) throw new IllegalStateException("no memory for audio");
    }

    /** Codec parameters for a muxer's video stream (null when audio only); read-only. */
    public AVCodecParameters videoParameters() {
        return video == null ? null : video.parameters();
    }

    public AVCodecParameters audioParameters() {
        return audioPar;
    }

    public void attach(Sink sink) {
        sinks.add(sink);
        requestKeyframe();
    }

    /** Detaches; returns true when no sink is left (the caller then closes the group). */
    public boolean detach(Sink sink) {
        sinks.remove(sink);
        return sinks.isEmpty();
    }

    public void requestKeyframe() {
        forceKeyframe = true;
    }

    /** The time (µs on this encoder's timeline) of the first picture at or after {@code micros}. */
    public long frameAtOrAfter(long micros) {
        return frameIndexAtOrAfter(micros) * 1_000_000L / config.fps();
    }

    private long frameIndexAtOrAfter(long micros) {
        return Math.max(0, -Math.floorDiv(-micros * config.fps(), 1_000_000L));
    }

    /** Makes the picture at {@code micros} (this encoder's timeline, on the picture grid) a keyframe; any thread. */
    public void requestKeyframeAt(long micros) {
        long index = frameIndexAtOrAfter(micros);
        keyframeFrom.accumulateAndGet(index, Math::min);
    }

    // ---- media thread ----

    /** Session time (µs) of the next picture to compose. */
    public long nextFrameMicros() {
        return startMicros + nextFrame * 1_000_000L / config.fps();
    }

    /** Skips pictures that are more than {@code lateMicros} behind {@code mixMicros} (a stalled thread). */
    public void skipLateFrames(long mixMicros, long lateMicros) {
        while (nextFrameMicros() < mixMicros - lateMicros) {
            nextFrame++;
            framesDropped.incrementAndGet();
        }
    }

    /** A free canvas to compose the next picture into, or null (counted as a dropped picture). */
    public AVFrame borrowCanvas() {
        AVFrame f = free.poll();
        if (f == null) {
            framesDropped.incrementAndGet();
            nextFrame++;
            return null;
        }
        av_frame_make_writable(f);
        return f;
    }

    public void submitPicture(AVFrame canvas) {
        batch.add(new Object[] {canvas, nextFrame++});
    }

    /** The room mix (48 kHz mono, 20 ms) starting at session time {@code startMicros}. */
    public void submitAudio(long sessionMicros, short[] pcm) {
        long pos = Math.floorDiv((sessionMicros - startMicros) * AUDIO_RATE, 1_000_000L);
        if (pos + pcm.length <= 0) return;
        batch.add(new Object[] {pcm.clone(), pos});
    }

    /** Hands this tick's pictures and audio to the encoder thread. */
    public void flush() {
        if (batch.isEmpty()) return;
        List<Object[]> work = batch;
        batch = new ArrayList<>();
        try {
            thread.execute(() -> encode(work));
        } catch (RejectedExecutionException e) {
            for (Object[] item : work) {
                if (item[0] instanceof AVFrame f) {
                    free.add(f);
                    framesDropped.incrementAndGet();
                }
            }
        }
    }

    // ---- encoder thread ----

    private void encode(List<Object[]> work) {
        long t0 = System.nanoTime();
        for (Object[] item : work) {
            try {
                if (item[0] instanceof AVFrame canvas) {
                    try {
                        encodePicture(canvas, (Long) item[1]);
                    } finally {
                        free.add(canvas);
                    }
                } else {
                    encodeAudio((short[]) item[0], (Long) item[1]);
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "encoding failed in room " + roomId, e);
            }
        }
        encodeNanos.addAndGet(System.nanoTime() - t0);
    }

    private void encodePicture(AVFrame canvas, long index) {
        if (video == null) return;
        boolean key = forceKeyframe;
        if (key) forceKeyframe = false;
        long planned = keyframeFrom.get();
        if (index >= planned && keyframeFrom.compareAndSet(planned, Long.MAX_VALUE)) key = true;
        video.encode(canvas, index, key, this::give);
        framesEncoded.incrementAndGet();
    }

    private void encodeAudio(short[] pcm, long pos) {
        int from = 0;
        if (audioPts < 0) {
            from = (int) Math.max(0, -pos);
            audioPts = Math.max(0, pos);
        } else {
            long expected = audioPts + pendingSamples;
            if (pos > expected) {
                long gap = Math.min(pos - expected, AUDIO_RATE / 2); // silence where no mix came
                for (long i = 0; i < gap; i++) push(0f);
            } else if (pos < expected) {
                from = (int) Math.min(pcm.length, expected - pos); // already encoded
            }
        }
        for (int i = from; i < pcm.length; i++) push(pcm[i] / 32768f);
    }

    private void push(float sample) {
        pending[pendingSamples++] = sample;
        int n = audioFrameSize;
        if (pendingSamples < n) return;
        av_frame_make_writable(audioFrame);
        new FloatPointer(audioFrame.data(0)).put(pending, 0, n);
        new FloatPointer(audioFrame.data(1)).put(pending, 0, n);
        audioFrame.pts(audioPts);
        audioPts += n;
        pendingSamples = 0;
        if (avcodec_send_frame(audio, audioFrame) >= 0) Packets.drain(audio, packet, false, this::give);
    }

    private void give(Packet p) {
        for (Sink s : sinks) {
            try {
                s.packet(p);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "an output refused a packet", e);
            }
        }
    }

    /** Stops the encoder thread and frees every native object once (on the encoder thread). */
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        sinks.clear();
        try {
            thread.execute(this::release);
        } catch (RejectedExecutionException e) {
            release();
        }
        thread.shutdown();
    }

    public boolean awaitClosed(long millis) throws InterruptedException {
        return thread.awaitTermination(millis, TimeUnit.MILLISECONDS);
    }

    private void release() {
        for (AVFrame f : canvases) av_frame_free(f);
        canvases.clear();
        free.clear();
        if (audioFrame != null) {
            av_frame_free(audioFrame);
            audioFrame = null;
        }
        if (packet != null) {
            av_packet_free(packet);
            packet = null;
        }
        if (video != null) {
            video.close(); // its parameters with it: muxers copied them when they opened, before attach
            video = null;
        }
        if (audio != null) {
            avcodec_free_context(audio);
            audio = null;
        }
        // The parameters outlive the encoders a little: muxers copy them when they open, which
        // happens before attach, so nothing reads them after close.
        if (audioPar != null) {
            avcodec_parameters_free(audioPar);
            audioPar = null;
        }
    }
}
