package io.roomcast.ingest;

import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.javacpp.BytePointer;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_H264;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_OPUS;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_VP8;
import static org.bytedeco.ffmpeg.global.avcodec.AV_INPUT_BUFFER_PADDING_SIZE;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_decoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_frame;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_packet;
import static org.bytedeco.ffmpeg.global.avutil.AV_LOG_ERROR;
import static org.bytedeco.ffmpeg.global.avutil.av_channel_layout_default;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_unref;
import static org.bytedeco.ffmpeg.global.avutil.av_free;
import static org.bytedeco.ffmpeg.global.avutil.av_log_set_level;
import static org.bytedeco.ffmpeg.global.avutil.av_malloc;

/**
 * A libavcodec decoder for one track (Opus, VP8 or H.264). It owns its native context, packet, frame
 * and input buffer; it is created, used and {@link #close closed} on one thread (the room's media
 * thread), and close releases everything exactly once.
 */
public final class Decoder implements AutoCloseable {
    private static final int EAGAIN = -11; // AVERROR(EAGAIN) on Linux
    private static final byte[] ZEROS = new byte[AV_INPUT_BUFFER_PADDING_SIZE];

    static {
        av_log_set_level(AV_LOG_ERROR);
    }

    /** Receives each decoded frame; the frame is borrowed for the duration of the call only. */
    public interface FrameHandler {
        void frame(AVFrame frame);
    }

    private AVCodecContext ctx;
    private AVPacket packet;
    private AVFrame frame;
    private BytePointer input;
    private int inputCapacity;

    public Decoder(String codec) {
        int id = switch (codec) {
            case "opus" -> AV_CODEC_ID_OPUS;
            case "vp8" -> AV_CODEC_ID_VP8;
            case "h264" -> AV_CODEC_ID_H264;
            default -> throw new IllegalArgumentException("no decoder for " + codec);
        };
        AVCodec c = avcodec_find_decoder(id);
        if (c == null || c.isNull()) throw new IllegalStateException("FFmpeg has no " + codec + " decoder");
        ctx = avcodec_alloc_context3(c);
        try {
            ctx.thread_count(1); // rooms run side by side; one thread each keeps the cost per room predictable
            if (id == AV_CODEC_ID_OPUS) {
                ctx.sample_rate(48000);
                av_channel_layout_default(ctx.ch_layout(), 2); // RFC 7587: always signalled as 2 channels
            }
            int r = avcodec_open2(ctx, c, (AVDictionary) null);
            if (r < 0) throw new IllegalStateException("cannot open the " + codec + " decoder: " + r);
            packet = av_packet_alloc();
            frame = av_frame_alloc();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Decodes one compressed frame; each decoded frame goes to {@code handler}. Returns the number of
     * frames produced, or a negative FFmpeg error when the data could not be decoded.
     */
    public int decode(byte[] data, FrameHandler handler) {
        if (ctx == null) throw new IllegalStateException("decoder is closed");
        ensureInput(data.length);
        input.position(0).put(data, 0, data.length);
        input.position(data.length).put(ZEROS, 0, AV_INPUT_BUFFER_PADDING_SIZE).position(0);
        packet.data(input);
        packet.size(data.length);
        int r = avcodec_send_packet(ctx, packet);
        packet.data(null);
        packet.size(0);
        if (r < 0 && r != EAGAIN) return r;
        int produced = 0;
        while (true) {
            r = avcodec_receive_frame(ctx, frame);
            if (r == EAGAIN || r < 0) break;
            try {
                handler.frame(frame);
            } finally {
                av_frame_unref(frame);
            }
            produced++;
        }
        return produced;
    }

    private void ensureInput(int size) {
        if (input != null && inputCapacity >= size) return;
        if (input != null) av_free(input);
        inputCapacity = Math.max(size, 2048) * 2;
        input = new BytePointer(av_malloc(inputCapacity + AV_INPUT_BUFFER_PADDING_SIZE)).capacity(inputCapacity + AV_INPUT_BUFFER_PADDING_SIZE);
    }

    @Override
    public void close() {
        if (frame != null) {
            av_frame_free(frame);
            frame = null;
        }
        if (packet != null) {
            av_packet_free(packet);
            packet = null;
        }
        if (ctx != null) {
            avcodec_free_context(ctx);
            ctx = null;
        }
        if (input != null) {
            av_free(input);
            input = null;
        }
    }
}
