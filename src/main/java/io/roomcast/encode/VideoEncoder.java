package io.roomcast.encode;

import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avutil.AVFrame;

import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The H.264 encoder of an {@link EncodeGroup}: FFmpeg's ({@link AvcodecVideo}: OpenH264 built into
 * JavaCV, or x264 in the gpl build) or the machine's own libopenh264 ({@link OpenH264Video}). Used on
 * the group's encoder thread only; its native objects are freed once by {@link #close}.
 */
interface VideoEncoder extends AutoCloseable {
    /** The names {@code outputs.videoEncoder} accepts besides FFmpeg's encoder names. */
    String SYSTEM_OPENH264 = "openh264-system";

    /** What muxers copy when they open: codec, size and SPS/PPS; owned by the encoder. */
    AVCodecParameters parameters();

    /** Encodes picture {@code index} (I420 canvas); each packet it yields goes to {@code out}. */
    void encode(AVFrame canvas, long index, boolean keyframe, Consumer<Packet> out);

    @Override
    void close();

    /**
     * Opens the encoder {@code name} names ({@link #SYSTEM_OPENH264} or an FFmpeg encoder). A system
     * library this code cannot drive (missing, or a struct layout it does not know) falls back to
     * FFmpeg's OpenH264, with a warning: the output still starts.
     */
    static VideoEncoder open(String name, OutputConfig config) {
        if (!name.equals(SYSTEM_OPENH264)) return new AvcodecVideo(name, config);
        try {
            return new OpenH264Video(config);
        } catch (IllegalStateException | UnsatisfiedLinkError e) {
            Logger.getLogger(VideoEncoder.class.getName()).warning("the system's libopenh264 cannot be used ("
                    + e.getMessage() + "); FFmpeg's libopenh264 encodes instead");
            return new AvcodecVideo("libopenh264", config);
        }
    }
}
