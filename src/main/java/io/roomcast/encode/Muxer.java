package io.roomcast.encode;

import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVIOContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.javacpp.BytePointer;

import java.io.IOException;
import java.util.Arrays;
import java.util.Map;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_OPUS;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_VP8;
import static org.bytedeco.ffmpeg.global.avcodec.AV_INPUT_BUFFER_PADDING_SIZE;
import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_FLAG_KEY;
import static org.bytedeco.ffmpeg.global.avcodec.av_new_packet;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_rescale_ts;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_copy;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_free;
import static org.bytedeco.ffmpeg.global.avformat.AVFMT_NOFILE;
import static org.bytedeco.ffmpeg.global.avformat.AVIO_FLAG_WRITE;
import static org.bytedeco.ffmpeg.global.avformat.av_interleaved_write_frame;
import static org.bytedeco.ffmpeg.global.avformat.av_write_frame;
import static org.bytedeco.ffmpeg.global.avformat.av_write_trailer;
import static org.bytedeco.ffmpeg.global.avformat.avformat_alloc_output_context2;
import static org.bytedeco.ffmpeg.global.avformat.avformat_free_context;
import static org.bytedeco.ffmpeg.global.avformat.avformat_new_stream;
import static org.bytedeco.ffmpeg.global.avformat.avformat_write_header;
import static org.bytedeco.ffmpeg.global.avformat.avio_closep;
import static org.bytedeco.ffmpeg.global.avformat.avio_flush;
import static org.bytedeco.ffmpeg.global.avformat.avio_open2;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_AUDIO;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avutil.av_channel_layout_default;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_free;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_set;
import static org.bytedeco.ffmpeg.global.avutil.av_make_q;
import static org.bytedeco.ffmpeg.global.avutil.av_malloc;
import static org.bytedeco.ffmpeg.global.avutil.av_strerror;

/**
 * One libavformat muxer (MP4, FLV over RTMP, MPEG-TS...) fed encoded {@link Packet}s. Each output owns
 * its muxers, opens, writes and closes them on its own thread, and closes each exactly once. Packet
 * times are moved by {@code offsetMicros} so a file starts at 0 wherever the encoder's timeline was.
 */
public final class Muxer implements AutoCloseable {
    private AVFormatContext ctx;
    private AVPacket pkt;
    private AVStream videoStream;
    private AVStream audioStream;
    private int videoTbDen;
    private int audioTbDen;
    private boolean headerWritten;
    private boolean ioOpen;
    private final long offsetMicros;
    public long bytesWritten;
    public long packetsWritten;
    private long lastVideoDts = Long.MIN_VALUE;
    private long lastAudioDts = Long.MIN_VALUE;
    private long endMicros;

    /** Codec parameters of the streams an output muxes: its own copies, freed by {@link #close}. */
    public static final class Streams implements AutoCloseable {
        final AVCodecParameters video;
        final AVCodecParameters audio;
        final int videoTbDen;
        final int audioTbDen;
        final int frameRate; // 0: not constant (a copy of a sender's frames)

        public Streams(EncodeGroup group) {
            this(copy(group.videoParameters()), copy(group.audioParameters()), group.config.fps(), EncodeGroup.AUDIO_RATE,
                    group.config.fps());
        }

        private Streams(AVCodecParameters video, AVCodecParameters audio, int videoTbDen, int audioTbDen, int frameRate) {
            this.video = video;
            this.audio = audio;
            this.videoTbDen = videoTbDen;
            this.audioTbDen = audioTbDen;
            this.frameRate = frameRate;
        }

        /**
         * One VP8 stream as a sender encoded it ({@code width}x{@code height}, from its keyframe), times in
         * milliseconds, for copying a camera's frames into WebM without re-encoding; with an Opus stream
         * beside it ({@link #opus()}) when {@code withOpus}.
         */
        public static Streams vp8(int width, int height, boolean withOpus) {
            AVCodecParameters par = avcodec_parameters_alloc();
            par.codec_type(AVMEDIA_TYPE_VIDEO);
            par.codec_id(AV_CODEC_ID_VP8);
            par.width(width);
            par.height(height);
            AVCodecParameters audio = null;
            if (withOpus) {
                Streams opus = opus();
                audio = opus.audio;
            }
            return new Streams(par, audio, 1000, 48000, 0);
        }

        /**
         * One Opus stream as RTP carries it (48 kHz, signalled stereo, RFC 7845 identification header
         * as extradata), for copying a participant's packets into a file without re-encoding.
         */
        public static Streams opus() {
            AVCodecParameters par = avcodec_parameters_alloc();
            par.codec_type(AVMEDIA_TYPE_AUDIO);
            par.codec_id(AV_CODEC_ID_OPUS);
            par.sample_rate(48000);
            av_channel_layout_default(par.ch_layout(), 2);
            // "OpusHead", version 1, 2 channels, 312 samples pre-skip, 48 kHz, gain 0, mapping family 0
            byte[] head = {'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1, 2, 0x38, 0x01, (byte) 0x80, (byte) 0xbb, 0, 0, 0, 0, 0};
            BytePointer extra = new BytePointer(av_malloc(head.length + AV_INPUT_BUFFER_PADDING_SIZE))
                    .capacity(head.length + AV_INPUT_BUFFER_PADDING_SIZE);
            extra.put(Arrays.copyOf(head, head.length + AV_INPUT_BUFFER_PADDING_SIZE)); // zeroed padding
            par.extradata(extra);
            par.extradata_size(head.length);
            return new Streams(null, par, 0, 48000, 0);
        }

        private static AVCodecParameters copy(AVCodecParameters p) {
            if (p == null) return null;
            AVCodecParameters c = avcodec_parameters_alloc();
            avcodec_parameters_copy(c, p);
            return c;
        }

        public boolean hasVideo() {
            return video != null;
        }

        @Override
        public synchronized void close() {
            if (video != null) avcodec_parameters_free(video);
            if (audio != null) avcodec_parameters_free(audio);
        }
    }

    public Muxer(String format, String url, Streams streams, Map<String, String> options, long offsetMicros)
            throws IOException {
        this.offsetMicros = offsetMicros;
        AVFormatContext c = new AVFormatContext(null);
        int r = avformat_alloc_output_context2(c, null, format, url);
        if (r < 0 || c.isNull()) throw new IOException("cannot create a " + format + " muxer: " + error(r));
        ctx = c;
        AVDictionary opts = new AVDictionary(null);
        try {
            if (streams.video != null) {
                videoStream = avformat_new_stream(ctx, null);
                avcodec_parameters_copy(videoStream.codecpar(), streams.video);
                videoStream.codecpar().codec_tag(0);
                videoTbDen = streams.videoTbDen;
                videoStream.time_base(av_make_q(1, videoTbDen));
                if (streams.frameRate > 0) videoStream.avg_frame_rate(av_make_q(streams.frameRate, 1));
            }
            if (streams.audio != null) {
                audioStream = avformat_new_stream(ctx, null);
                avcodec_parameters_copy(audioStream.codecpar(), streams.audio);
                audioStream.codecpar().codec_tag(0);
                audioTbDen = streams.audioTbDen;
                audioStream.time_base(av_make_q(1, audioTbDen));
            }
            for (Map.Entry<String, String> e : options.entrySet()) av_dict_set(opts, e.getKey(), e.getValue(), 0);
            if ((ctx.oformat().flags() & AVFMT_NOFILE) == 0) {
                AVIOContext pb = new AVIOContext(null);
                r = avio_open2(pb, url, AVIO_FLAG_WRITE, null, opts);
                if (r < 0) throw new IOException("cannot open " + redact(url) + ": " + error(r));
                ctx.pb(pb);
                ioOpen = true;
            }
            r = avformat_write_header(ctx, opts);
            if (r < 0) throw new IOException("cannot start the " + format + " stream: " + error(r));
            headerWritten = true;
            pkt = av_packet_alloc();
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        } finally {
            av_dict_free(opts);
        }
    }

    /** Writes one packet (a copy; the packet stays shared). Throws when the destination failed. */
    public void write(Packet p) throws IOException {
        AVStream st = p.video() ? videoStream : audioStream;
        if (st == null) return;
        long off = Math.floorDiv(offsetMicros * p.timeBaseDen(), 1_000_000L);
        long pts = p.pts() - off;
        long dts = p.dts() - off;
        if (pts < 0) return; // before this file began
        long last = p.video() ? lastVideoDts : lastAudioDts;
        if (dts <= last) return; // never backwards: muxers refuse it
        if (p.video()) lastVideoDts = dts;
        else lastAudioDts = dts;
        endMicros = Math.max(endMicros, (pts + p.duration()) * 1_000_000L / p.timeBaseDen());
        int r = av_new_packet(pkt, p.data().length);
        if (r < 0) throw new IOException("no memory for a packet");
        pkt.data().put(p.data());
        pkt.pts(pts);
        pkt.dts(dts);
        pkt.duration(p.duration());
        pkt.stream_index(st.index());
        pkt.flags(p.key() ? AV_PKT_FLAG_KEY : 0);
        av_packet_rescale_ts(pkt, av_make_q(1, p.timeBaseDen()), st.time_base());
        r = av_interleaved_write_frame(ctx, pkt); // takes the packet's data
        av_packet_unref(pkt);
        if (r < 0) throw new IOException("writing failed: " + error(r));
        bytesWritten += p.data().length;
        packetsWritten++;
    }

    /** Pushes buffered bytes to the file or connection now. */
    public void flush() {
        if (ctx != null && ctx.pb() != null && !ctx.pb().isNull()) avio_flush(ctx.pb());
    }

    /**
     * Ends the fragment in progress and pushes it out (fragmented MP4), so that what was written
     * is in the file before a pause: the interleaving queue is flushed, then the muxer's fragment.
     */
    public void cutFragment() throws IOException {
        if (ctx == null) return;
        int r = av_interleaved_write_frame(ctx, null);
        if (r >= 0) r = av_write_frame(ctx, null);
        if (r < 0) throw new IOException("cutting a fragment failed: " + error(r));
        flush();
    }

    /** Length written so far (end of the last packet), in microseconds. */
    public long durationMicros() {
        return endMicros;
    }

    /** Writes the trailer (when the header was written) and frees everything, once. */
    @Override
    public void close() throws IOException {
        if (ctx == null) return;
        AVFormatContext c = ctx;
        ctx = null;
        AVPacket p = pkt;
        pkt = null;
        finish(c, p, headerWritten, ioOpen, "the stream");
    }

    /**
     * The end of an output context: trailer (when the header was written), the file or connection
     * closed, context and packet freed, an error from the trailer thrown after everything is freed.
     */
    private static void finish(AVFormatContext c, AVPacket p, boolean headerWritten, boolean ioOpen, String what) throws IOException {
        int r = 0;
        try {
            if (headerWritten) r = av_write_trailer(c);
        } finally {
            if (ioOpen) {
                AVIOContext pb = c.pb();
                avio_closep(pb);
                c.pb(null);
            }
            avformat_free_context(c);
            if (p != null) av_packet_free(p);
        }
        if (r < 0) throw new IOException("finishing " + what + " failed: " + error(r));
    }

    static String error(int code) {
        byte[] buf = new byte[256];
        av_strerror(code, buf, buf.length);
        int n = 0;
        while (n < buf.length && buf[n] != 0) n++;
        return new String(buf, 0, n) + " (" + code + ")";
    }

    /** A destination URL without its stream key (the path after the application). */
    public static String redact(String url) {
        int scheme = url.indexOf("://");
        if (scheme < 0) return url;
        int slash = url.indexOf('/', scheme + 3);
        if (slash < 0) return url;
        int second = url.indexOf('/', slash + 1);
        return second < 0 ? url : url.substring(0, second) + "/***";
    }
}
