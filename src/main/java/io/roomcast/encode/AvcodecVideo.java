package io.roomcast.encode;

import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;

import java.util.function.Consumer;
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
import static org.bytedeco.ffmpeg.global.avutil.AV_PICTURE_TYPE_I;
import static org.bytedeco.ffmpeg.global.avutil.AV_PICTURE_TYPE_NONE;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_free;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_set;
import static org.bytedeco.ffmpeg.global.avutil.av_make_q;

/** An FFmpeg video encoder: {@code libopenh264} (JavaCV's build) or {@code libx264} (the gpl build). */
final class AvcodecVideo implements VideoEncoder {
    private static final Logger LOG = Logger.getLogger(AvcodecVideo.class.getName());

    private AVCodecContext ctx;
    private AVCodecParameters parameters;
    private AVPacket packet;

    AvcodecVideo(String name, OutputConfig config) {
        AVCodec codec = avcodec_find_encoder_by_name(name);
        if (codec == null || codec.isNull()) throw new IllegalStateException("FFmpeg has no " + name + " encoder");
        ctx = avcodec_alloc_context3(codec);
        ctx.width(config.width());
        ctx.height(config.height());
        ctx.pix_fmt(AV_PIX_FMT_YUV420P);
        ctx.time_base(av_make_q(1, config.fps()));
        ctx.framerate(av_make_q(config.fps(), 1));
        ctx.gop_size(config.gop());
        ctx.keyint_min(config.gop());
        ctx.max_b_frames(0);
        ctx.bit_rate(config.videoKbps() * 1000L);
        ctx.thread_count(1);
        ctx.flags(ctx.flags() | AV_CODEC_FLAG_GLOBAL_HEADER);
        AVDictionary opts = new AVDictionary(null);
        if (name.equals("libx264")) {
            av_dict_set(opts, "preset", "veryfast", 0);
            av_dict_set(opts, "tune", "zerolatency", 0);
        } else {
            av_dict_set(opts, "allow_skip_frames", "0", 0);
        }
        int r = avcodec_open2(ctx, codec, opts);
        av_dict_free(opts);
        if (r < 0) {
            close();
            throw new IllegalStateException("cannot open the " + name + " encoder: " + r);
        }
        parameters = avcodec_parameters_alloc();
        avcodec_parameters_from_context(parameters, ctx);
        packet = av_packet_alloc();
    }

    @Override
    public AVCodecParameters parameters() {
        return parameters;
    }

    @Override
    public void encode(AVFrame canvas, long index, boolean keyframe, Consumer<Packet> out) {
        canvas.pts(index);
        canvas.pict_type(keyframe ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE);
        int r = avcodec_send_frame(ctx, canvas);
        if (r < 0) {
            LOG.warning("the video encoder refused a picture: " + r);
            return;
        }
        Packets.drain(ctx, packet, true, out);
    }

    @Override
    public void close() {
        if (packet != null) {
            av_packet_free(packet);
            packet = null;
        }
        if (ctx != null) {
            avcodec_free_context(ctx);
            ctx = null;
        }
        if (parameters != null) {
            avcodec_parameters_free(parameters);
            parameters = null;
        }
    }
}
