package io.roomcast.encode;

import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;

import java.util.function.Consumer;

import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_FLAG_KEY;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_packet;

/** Taking what an FFmpeg encoder has ready as {@link Packet}s (copied out of the reused native packet). */
final class Packets {
    private Packets() {
    }

    static void drain(AVCodecContext ctx, AVPacket packet, boolean isVideo, Consumer<Packet> out) {
        int den = ctx.time_base().den();
        while (avcodec_receive_packet(ctx, packet) >= 0) {
            try {
                byte[] data = new byte[packet.size()];
                packet.data().get(data);
                long duration = packet.duration() > 0 ? packet.duration() : (isVideo ? 1 : ctx.frame_size());
                out.accept(new Packet(isVideo, !isVideo || (packet.flags() & AV_PKT_FLAG_KEY) != 0, data,
                        packet.pts(), packet.dts(), duration, den));
            } finally {
                av_packet_unref(packet);
            }
        }
    }
}
