package io.roomcast.encode;

import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.javacpp.BytePointer;

import java.util.function.Consumer;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_H264;
import static org.bytedeco.ffmpeg.global.avcodec.AV_INPUT_BUFFER_PADDING_SIZE;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_free;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;
import static org.bytedeco.ffmpeg.global.avutil.av_mallocz;

/**
 * H.264 from the machine's libopenh264 ({@link SystemOpenH264}), in the shape FFmpeg's wrapper gives:
 * Annex B packets without SPS/PPS, which are the parameters' extradata; baseline, no B-frames, so
 * the decode order is the picture order.
 */
final class OpenH264Video implements VideoEncoder {
    private final SystemOpenH264 encoder;
    private final int fps;
    private AVCodecParameters parameters;

    OpenH264Video(OutputConfig config) {
        fps = config.fps();
        encoder = new SystemOpenH264(config.width(), config.height(), config.fps(), config.videoKbps() * 1000, config.gop());
        try {
            byte[] sets = encoder.parameterSets();
            parameters = avcodec_parameters_alloc();
            parameters.codec_type(AVMEDIA_TYPE_VIDEO);
            parameters.codec_id(AV_CODEC_ID_H264);
            parameters.width(config.width());
            parameters.height(config.height());
            parameters.format(AV_PIX_FMT_YUV420P);
            parameters.bit_rate(config.videoKbps() * 1000L);
            parameters.profile(66); // baseline, as OpenH264 writes with CAVLC
            BytePointer extradata = new BytePointer(av_mallocz(sets.length + AV_INPUT_BUFFER_PADDING_SIZE));
            extradata.put(sets);
            parameters.extradata(extradata);
            parameters.extradata_size(sets.length);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public AVCodecParameters parameters() {
        return parameters;
    }

    @Override
    public void encode(AVFrame canvas, long index, boolean keyframe, Consumer<Packet> out) {
        SystemOpenH264.Encoded e = encoder.encode(canvas.data(0).address(), canvas.data(1).address(), canvas.data(2).address(),
                canvas.linesize(0), canvas.linesize(1), index, keyframe);
        if (e != null) out.accept(new Packet(true, e.keyframe(), e.data(), index, index, 1, fps));
    }

    @Override
    public void close() {
        encoder.close();
        if (parameters != null) {
            avcodec_parameters_free(parameters); // frees the extradata too
            parameters = null;
        }
    }
}
