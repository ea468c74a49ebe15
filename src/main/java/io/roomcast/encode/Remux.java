package io.roomcast.encode;

import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVIOContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVRational;

import java.io.IOException;
import java.nio.file.Path;

import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_rescale_ts;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_copy;
import static org.bytedeco.ffmpeg.global.avformat.AVIO_FLAG_WRITE;
import static org.bytedeco.ffmpeg.global.avformat.av_interleaved_write_frame;
import static org.bytedeco.ffmpeg.global.avformat.av_read_frame;
import static org.bytedeco.ffmpeg.global.avformat.av_write_trailer;
import static org.bytedeco.ffmpeg.global.avformat.avformat_alloc_output_context2;
import static org.bytedeco.ffmpeg.global.avformat.avformat_close_input;
import static org.bytedeco.ffmpeg.global.avformat.avformat_find_stream_info;
import static org.bytedeco.ffmpeg.global.avformat.avformat_free_context;
import static org.bytedeco.ffmpeg.global.avformat.avformat_new_stream;
import static org.bytedeco.ffmpeg.global.avformat.avformat_open_input;
import static org.bytedeco.ffmpeg.global.avformat.avformat_write_header;
import static org.bytedeco.ffmpeg.global.avformat.avio_closep;
import static org.bytedeco.ffmpeg.global.avformat.avio_open2;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_free;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_set;

/**
 * Rewrites a fragmented MP4 (as recorded and uploaded piece by piece) into an ordinary MP4 with the
 * index at the front ({@code faststart}), without re-encoding. A fragmented file cut short by a
 * crash is read up to its last whole fragment.
 */
public final class Remux {
    private Remux() {
    }

    /** What the finished file holds. */
    public record Info(long durationMicros, int width, int height, long packets) {
    }

    public static Info toMp4(Path in, Path out) throws IOException {
        AVFormatContext input = new AVFormatContext(null);
        int r = avformat_open_input(input, in.toString(), null, null);
        if (r < 0) throw new IOException("cannot read " + in.getFileName() + ": " + Muxer.error(r));
        AVFormatContext output = null;
        AVPacket pkt = av_packet_alloc();
        AVDictionary opts = new AVDictionary(null);
        boolean ioOpen = false;
        try {
            avformat_find_stream_info(input, (AVDictionary) null);
            output = new AVFormatContext(null);
            r = avformat_alloc_output_context2(output, null, "mp4", out.toString());
            if (r < 0) throw new IOException("cannot create an MP4 muxer: " + Muxer.error(r));
            int n = input.nb_streams();
            int width = 0;
            int height = 0;
            for (int i = 0; i < n; i++) {
                AVStream is = input.streams(i);
                AVStream os = avformat_new_stream(output, null);
                avcodec_parameters_copy(os.codecpar(), is.codecpar());
                os.codecpar().codec_tag(0);
                os.time_base(is.time_base());
                if (is.codecpar().codec_type() == AVMEDIA_TYPE_VIDEO) {
                    width = is.codecpar().width();
                    height = is.codecpar().height();
                }
            }
            AVIOContext pb = new AVIOContext(null);
            r = avio_open2(pb, out.toString(), AVIO_FLAG_WRITE, null, null);
            if (r < 0) throw new IOException("cannot write " + out + ": " + Muxer.error(r));
            output.pb(pb);
            ioOpen = true;
            av_dict_set(opts, "movflags", "+faststart", 0);
            r = avformat_write_header(output, opts);
            if (r < 0) throw new IOException("cannot start the MP4: " + Muxer.error(r));
            long end = 0;
            long packets = 0;
            while (av_read_frame(input, pkt) >= 0) {
                int si = pkt.stream_index();
                AVRational itb = input.streams(si).time_base();
                long pts = pkt.pts() == AV_NOPTS_VALUE ? pkt.dts() : pkt.pts();
                if (pts != AV_NOPTS_VALUE) {
                    long e = (pts + Math.max(0, pkt.duration())) * 1_000_000L * itb.num() / itb.den();
                    end = Math.max(end, e);
                }
                av_packet_rescale_ts(pkt, itb, output.streams(si).time_base());
                pkt.pos(-1);
                r = av_interleaved_write_frame(output, pkt);
                av_packet_unref(pkt);
                if (r < 0) throw new IOException("writing the MP4 failed: " + Muxer.error(r));
                packets++;
            }
            r = av_write_trailer(output);
            if (r < 0) throw new IOException("finishing the MP4 failed: " + Muxer.error(r));
            return new Info(end, width, height, packets);
        } finally {
            av_dict_free(opts);
            av_packet_free(pkt);
            if (output != null) {
                if (ioOpen) {
                    avio_closep(output.pb());
                    output.pb(null);
                }
                avformat_free_context(output);
            }
            avformat_close_input(input);
        }
    }
}
