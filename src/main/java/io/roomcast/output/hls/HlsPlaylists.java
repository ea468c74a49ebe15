package io.roomcast.output.hls;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The HLS playlists Roomcast writes, as pure text: media playlists (live window or event/VOD),
 * the master with its captions rendition, the subtitle playlist, and closing a stored event
 * playlist as a VOD (recovery after a crash uses the same writer as the live stream).
 */
public final class HlsPlaylists {
    /** One media segment: its sequence number, length and wall-clock start. */
    public record Segment(int seq, double seconds, String programDateTime) {
        public String name() {
            return name(seq);
        }

        public static String name(int seq) {
            return String.format("seg-%05d.ts", seq);
        }

        public String subtitleName() {
            return String.format("sub-%05d.vtt", seq);
        }
    }

    /** A parsed media playlist. */
    public record Media(List<Segment> segments, int targetDuration, boolean ended) {
    }

    private HlsPlaylists() {
    }

    /** A media playlist of segments [from, end): an event (or, ended, VOD) playlist, or a live window. */
    public static String media(List<Segment> all, int from, int targetDuration, boolean ended, boolean event) {
        StringBuilder sb = new StringBuilder("#EXTM3U\n#EXT-X-VERSION:3\n");
        sb.append("#EXT-X-TARGETDURATION:").append(targetDuration).append('\n');
        sb.append("#EXT-X-MEDIA-SEQUENCE:").append(all.isEmpty() ? 0 : all.get(Math.min(from, all.size() - 1)).seq()).append('\n');
        if (event) sb.append("#EXT-X-PLAYLIST-TYPE:").append(ended ? "VOD" : "EVENT").append('\n');
        for (int i = from; i < all.size(); i++) {
            Segment s = all.get(i);
            sb.append("#EXT-X-PROGRAM-DATE-TIME:").append(s.programDateTime()).append('\n');
            sb.append(String.format(Locale.ROOT, "#EXTINF:%.3f,%n", s.seconds()));
            sb.append(s.name()).append('\n');
        }
        if (ended) sb.append("#EXT-X-ENDLIST\n");
        return sb.toString();
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
        String codecs = video ? "avc1.42c01f,mp4a.40.2" : "mp4a.40.2";
        return "#EXTM3U\n#EXT-X-VERSION:3\n"
                + "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",NAME=\"Captions\",DEFAULT=YES,AUTOSELECT=YES,LANGUAGE=\"en\",URI=\"captions.m3u8\"\n"
                + "#EXT-X-STREAM-INF:BANDWIDTH=" + bandwidth + ",CODECS=\"" + codecs + "\""
                + (video ? ",RESOLUTION=" + width + "x" + height : "") + ",SUBTITLES=\"subs\"\n"
                + "playback.m3u8\n";
    }

    /** Reads a media playlist this class wrote (segments named seg-NNNNN.ts). */
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
            else if (line.matches("seg-\\d{5}\\.ts")) {
                segments.add(new Segment(Integer.parseInt(line.substring(4, 9)), seconds, pdt));
                pdt = null;
            }
        }
        return new Media(segments, target, ended);
    }

    /** A stored event playlist closed as the VOD (unchanged when it already ended). */
    public static String closed(String eventPlaylist) {
        Media m = parse(eventPlaylist);
        if (m.ended()) return eventPlaylist;
        return media(m.segments(), 0, m.targetDuration(), true, true);
    }
}
