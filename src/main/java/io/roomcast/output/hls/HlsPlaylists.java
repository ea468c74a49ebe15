package io.roomcast.output.hls;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The HLS playlists Roomcast writes, as pure text: media playlists (live window or event/VOD),
 * the master with its captions rendition, the subtitle playlist, and closing a stored event
 * playlist as a VOD (recovery after a crash uses the same writer as the live stream).
 */
public final class HlsPlaylists {
    /** One media segment: its sequence number, length and wall-clock start; MPEG-TS, or fMP4 (low-latency streams). */
    public record Segment(int seq, double seconds, String programDateTime, boolean fmp4) {
        public String name() {
            return name(seq, fmp4);
        }

        public static String name(int seq, boolean fmp4) {
            return String.format(fmp4 ? "seg-%05d.m4s" : "seg-%05d.ts", seq);
        }

        public String subtitleName() {
            return String.format("sub-%05d.vtt", seq);
        }
    }

    /** A partial segment of a low-latency stream: part {@code index} of segment {@code seq}. */
    public record Part(int seq, int index, double seconds, boolean independent) {
        public String name() {
            return name(seq, index);
        }

        public static String name(int seq, int index) {
            return String.format("seg-%05d.%d.m4s", seq, index);
        }
    }

    /**
     * A message shown at a moment of the stream ({@code EXT-X-DATERANGE}, CLASS {@value #MESSAGE_CLASS}):
     * its id, the instant on the stream's clock (the clock of EXT-X-PROGRAM-DATE-TIME), and its topic,
     * text and payload (JSON, may be null), percent-encoded as UTF-8 in the attributes (a quoted string
     * may not hold quotes or line breaks; {@code decodeURIComponent} reads them back).
     */
    public record DateRange(String id, Instant start, String topic, String message, String payloadJson) {
        String tag() {
            StringBuilder sb = new StringBuilder("#EXT-X-DATERANGE:ID=\"").append(id).append("\",CLASS=\"").append(MESSAGE_CLASS)
                    .append("\",START-DATE=\"").append(Instant.ofEpochMilli(start.toEpochMilli())).append('"')
                    .append(",X-TOPIC=\"").append(encode(topic)).append('"')
                    .append(",X-MESSAGE=\"").append(encode(message)).append('"');
            if (payloadJson != null) sb.append(",X-PAYLOAD=\"").append(encode(payloadJson)).append('"');
            return sb.append('\n').toString();
        }

        private static String encode(String s) {
            return URLEncoder.encode(s == null ? "" : s, StandardCharsets.UTF_8).replace("+", "%20");
        }
    }

    public static final String MESSAGE_CLASS = "io.roomcast.message";

    /**
     * The playlist with the date ranges that start within it (at or after its first
     * EXT-X-PROGRAM-DATE-TIME), before its first segment; unchanged without a program date.
     */
    public static String withDateRanges(String playlist, List<DateRange> ranges) {
        if (ranges.isEmpty()) return playlist;
        int at = playlist.indexOf("#EXT-X-PROGRAM-DATE-TIME:");
        if (at < 0) return playlist;
        int eol = playlist.indexOf('\n', at);
        Instant windowStart = Instant.parse(playlist.substring(at + 25, eol < 0 ? playlist.length() : eol).trim());
        StringBuilder tags = new StringBuilder();
        for (DateRange r : ranges) if (!r.start().isBefore(windowStart.minusMillis(1))) tags.append(r.tag());
        return playlist.substring(0, at) + tags + playlist.substring(at);
    }

    /** The init segment (ftyp + moov) of an fMP4 stream. */
    public static final String INIT = "init.mp4";

    /** A parsed media playlist. */
    public record Media(List<Segment> segments, int targetDuration, boolean ended) {
    }

    private HlsPlaylists() {
    }

    /** A media playlist of segments [from, end): an event (or, ended, VOD) playlist, or a live window. */
    public static String media(List<Segment> all, int from, int targetDuration, boolean ended, boolean event) {
        boolean fmp4 = !all.isEmpty() && all.get(0).fmp4();
        StringBuilder sb = new StringBuilder("#EXTM3U\n#EXT-X-VERSION:" + (fmp4 ? 6 : 3) + "\n");
        sb.append("#EXT-X-TARGETDURATION:").append(targetDuration).append('\n');
        sb.append("#EXT-X-MEDIA-SEQUENCE:").append(all.isEmpty() ? 0 : all.get(Math.min(from, all.size() - 1)).seq()).append('\n');
        if (event) sb.append("#EXT-X-PLAYLIST-TYPE:").append(ended ? "VOD" : "EVENT").append('\n');
        if (fmp4) sb.append("#EXT-X-MAP:URI=\"").append(INIT).append("\"\n");
        for (int i = from; i < all.size(); i++) segment(sb, all.get(i));
        if (ended) sb.append("#EXT-X-ENDLIST\n");
        return sb.toString();
    }

    private static void segment(StringBuilder sb, Segment s) {
        sb.append("#EXT-X-PROGRAM-DATE-TIME:").append(s.programDateTime()).append('\n');
        sb.append(String.format(Locale.ROOT, "#EXTINF:%.3f,%n", s.seconds()));
        sb.append(s.name()).append('\n');
    }

    /**
     * The live playlist of a low-latency stream (RFC 8216bis): the window [from, end) of complete
     * fMP4 segments, the parts of the last {@code partsOfLast} of them and of the segment in progress
     * ({@code open}: its parts so far, its start instant), and a preload hint for the next part.
     * Blocking reload is offered (CAN-BLOCK-RELOAD) with a part hold-back of three part targets.
     */
    public static String lowLatency(List<Segment> all, int from, int targetDuration, double partTarget,
                                    List<List<Part>> partsOfLast, int openSeq, String openStart, List<Part> open) {
        StringBuilder sb = new StringBuilder("#EXTM3U\n#EXT-X-VERSION:6\n");
        sb.append("#EXT-X-TARGETDURATION:").append(targetDuration).append('\n');
        sb.append(String.format(Locale.ROOT, "#EXT-X-PART-INF:PART-TARGET=%.3f%n", partTarget));
        sb.append(String.format(Locale.ROOT, "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=%.3f%n", 3 * partTarget));
        int first = all.size() > from ? all.get(from).seq() : openSeq;
        sb.append("#EXT-X-MEDIA-SEQUENCE:").append(first).append('\n');
        sb.append("#EXT-X-MAP:URI=\"").append(INIT).append("\"\n");
        int withParts = all.size() - partsOfLast.size();
        for (int i = from; i < all.size(); i++) {
            Segment seg = all.get(i);
            if (i < withParts) {
                segment(sb, seg);
                continue;
            }
            // The date is the segment's first picture's, so it comes before the segment's first part.
            sb.append("#EXT-X-PROGRAM-DATE-TIME:").append(seg.programDateTime()).append('\n');
            parts(sb, partsOfLast.get(i - withParts));
            sb.append(String.format(Locale.ROOT, "#EXTINF:%.3f,%n", seg.seconds())).append(seg.name()).append('\n');
        }
        if (openStart != null) {
            if (!open.isEmpty()) sb.append("#EXT-X-PROGRAM-DATE-TIME:").append(openStart).append('\n');
            parts(sb, open);
            sb.append("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"").append(Part.name(openSeq, open.size())).append("\"\n");
        }
        return sb.toString();
    }

    private static void parts(StringBuilder sb, List<Part> parts) {
        for (Part p : parts) {
            sb.append(String.format(Locale.ROOT, "#EXT-X-PART:DURATION=%.3f,URI=\"%s\"%s%n", p.seconds(), p.name(),
                    p.independent() ? ",INDEPENDENT=YES" : ""));
        }
    }

    /** The subtitle playlist of the first {@code count} segments' WebVTT files. */
    public static String subtitles(List<Segment> all, int count, int targetDuration, boolean ended) {
        StringBuilder pl = new StringBuilder("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:" + targetDuration
                + "\n#EXT-X-MEDIA-SEQUENCE:1\n#EXT-X-PLAYLIST-TYPE:" + (ended ? "VOD" : "EVENT") + "\n");
        for (int i = 0; i < count; i++) {
            Segment s = all.get(i);
            pl.append(String.format(Locale.ROOT, "#EXTINF:%.3f,%n", s.seconds())).append(s.subtitleName()).append('\n');
        }
        if (ended) pl.append("#EXT-X-ENDLIST\n");
        return pl.toString();
    }

    /** The master playlist: the event/VOD playlist with the captions as a WebVTT subtitle rendition. */
    public static String master(boolean video, int width, int height, long bandwidth) {
        return master(video, width, height, bandwidth, "playback.m3u8");
    }

    /** The same, naming {@code media} as the variant (the low-latency live playlist while it runs). */
    public static String master(boolean video, int width, int height, long bandwidth, String media) {
        String codecs = video ? "avc1.42c01f,mp4a.40.2" : "mp4a.40.2";
        return "#EXTM3U\n#EXT-X-VERSION:3\n"
                + "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",NAME=\"Captions\",DEFAULT=YES,AUTOSELECT=YES,LANGUAGE=\"en\",URI=\"captions.m3u8\"\n"
                + "#EXT-X-STREAM-INF:BANDWIDTH=" + bandwidth + ",CODECS=\"" + codecs + "\""
                + (video ? ",RESOLUTION=" + width + "x" + height : "") + ",SUBTITLES=\"subs\"\n"
                + media + "\n";
    }

    /** Reads a media playlist this class wrote (segments named seg-NNNNN.ts or .m4s). */
    public static Media parse(String text) {
        List<Segment> segments = new ArrayList<>();
        int target = 0;
        boolean ended = false;
        String pdt = null;
        double seconds = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith("#EXT-X-TARGETDURATION:")) target = Integer.parseInt(line.substring(22).trim());
            else if (line.startsWith("#EXT-X-PROGRAM-DATE-TIME:")) pdt = line.substring(25).trim();
            else if (line.startsWith("#EXTINF:")) seconds = Double.parseDouble(line.substring(8, line.indexOf(',')));
            else if (line.startsWith("#EXT-X-ENDLIST")) ended = true;
            else if (line.matches("seg-\\d{5}\\.(ts|m4s)")) {
                segments.add(new Segment(Integer.parseInt(line.substring(4, 9)), seconds, pdt, line.endsWith(".m4s")));
                pdt = null;
            }
        }
        return new Media(segments, target, ended);
    }

    /** A stored event playlist closed as the VOD (unchanged when it already ended), its date ranges kept. */
    public static String closed(String eventPlaylist) {
        Media m = parse(eventPlaylist);
        if (m.ended()) return eventPlaylist;
        String vod = media(m.segments(), 0, m.targetDuration(), true, true);
        StringBuilder ranges = new StringBuilder();
        for (String line : eventPlaylist.split("\n")) if (line.startsWith("#EXT-X-DATERANGE:")) ranges.append(line).append('\n');
        int at = vod.indexOf("#EXT-X-PROGRAM-DATE-TIME:");
        return ranges.isEmpty() || at < 0 ? vod : vod.substring(0, at) + ranges + vod.substring(at);
    }
}
