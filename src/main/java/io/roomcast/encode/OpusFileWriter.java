package io.roomcast.encode;

import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVIOContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.javacpp.BytePointer;

import java.io.IOException;
import java.nio.file.Path;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_OPUS;
import static org.bytedeco.ffmpeg.global.avcodec.AV_INPUT_BUFFER_PADDING_SIZE;
import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_FLAG_KEY;
import static org.bytedeco.ffmpeg.global.avcodec.av_new_packet;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_rescale_ts;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avformat.AVIO_FLAG_WRITE;
import static org.bytedeco.ffmpeg.global.avformat.av_write_frame;
import static org.bytedeco.ffmpeg.global.avformat.avformat_alloc_output_context2;
import static org.bytedeco.ffmpeg.global.avformat.avformat_new_stream;
import static org.bytedeco.ffmpeg.global.avformat.avformat_write_header;
import static org.bytedeco.ffmpeg.global.avformat.avio_open2;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_AUDIO;
import static org.bytedeco.ffmpeg.global.avutil.av_channel_layout_default;
import static org.bytedeco.ffmpeg.global.avutil.av_make_q;
import static org.bytedeco.ffmpeg.global.avutil.av_malloc;

/**
 * One participant's audio as the sender encoded it: Opus packets copied into a WebM file, each at
 * its time on the recording's timeline (gaps stay gaps), no decoding or re-encoding. Owned by one
 * thread (the recording's); {@link #close} finishes the file once.
 */
public final class OpusFileWriter implements AutoCloseable {
    private AVFormatContext ctx;
    private AVPacket pkt;
    private AVStream stream;
    private boolean ioOpen;
    private boolean headerWritten;
    private long lastPts = -1;
    private long packets;

    public OpusFileWriter(Path file) throws IOException {
        AVFormatContext c = new AVFormatContext(null);
        int r = avformat_alloc_output_context2(c, null, "webm", file.toString());
        if (r < 0) throw new IOException("cannot create a WebM muxer: " + Muxer.error(r));
        ctx = c;
        try {
            stream = avformat_new_stream(ctx, null);
            AVCodecParameters par = stream.codecpar();
            par.codec_type(AVMEDIA_TYPE_AUDIO);
            par.codec_id(AV_CODEC_ID_OPUS);
            par.sample_rate(48000);
            av_channel_layout_default(par.ch_layout(), 2);
            byte[] head = opusHead();
            BytePointer extra = new BytePointer(av_malloc(head.length + AV_INPUT_BUFFER_PADDING_SIZE))
                    .capacity(head.length + AV_INPUT_BUFFER_PADDING_SIZE);
            extra.put(java.util.Arrays.copyOf(head, head.length + AV_INPUT_BUFFER_PADDING_SIZE)); // zeroed padding
            par.extradata(extra);
            par.extradata_size(head.length);
            stream.time_base(av_make_q(1, 48000));
            AVIOContext pb = new AVIOContext(null);
            r = avio_open2(pb, file.toString(), AVIO_FLAG_WRITE, null, null);
            if (r < 0) throw new IOException("cannot write " + file + ": " + Muxer.error(r));
            ctx.pb(pb);
            ioOpen = true;
            r = avformat_write_header(ctx, (AVDictionary) null);
            if (r < 0) throw new IOException("cannot start the WebM file: " + Muxer.error(r));
            headerWritten = true;
            pkt = av_packet_alloc();
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** RFC 7845 identification header: 2 channels (as RTP Opus is signalled), 312 samples pre-skip, 48 kHz. */
    static byte[] opusHead() {
        return new byte[] {'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1, 2, 0x38, 0x01, (byte) 0x80, (byte) 0xbb, 0, 0, 0, 0, 0};
    }

    /** One packet at {@code micros} on the file's timeline; earlier-than-last packets are skipped. */
    public void write(long micros, byte[] opus) throws IOException {
        long pts = micros * 48 / 1000;
        if (pts < 0 || pts <= lastPts || opus.length == 0) return;
        lastPts = pts;
        int r = av_new_packet(pkt, opus.length);
        if (r < 0) throw new IOException("no memory for a packet");
        pkt.data().put(opus);
        pkt.pts(pts);
        pkt.dts(pts);
        pkt.duration(960);
        pkt.flags(AV_PKT_FLAG_KEY);
        pkt.stream_index(0);
        av_packet_rescale_ts(pkt, av_make_q(1, 48000), stream.time_base());
        r = av_write_frame(ctx, pkt);
        av_packet_unref(pkt);
        if (r < 0) throw new IOException("writing failed: " + Muxer.error(r));
        packets++;
    }

    public long packets() {
        return packets;
    }

    /** Finishes the file and frees everything, once (the stream's extradata goes with the context). */
    @Override
    public void close() throws IOException {
        if (ctx == null) return;
        AVFormatContext c = ctx;
        ctx = null;
        AVPacket p = pkt;
        pkt = null;
        Muxer.finish(c, p, headerWritten, ioOpen, "the WebM file");
    }
}
