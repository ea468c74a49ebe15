package io.roomcast.output.hls;

import org.junit.jupiter.api.Test;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pure playlist writer that the live stream and crash recovery share. */
class HlsPlaylistsTest {
    private static final List<HlsPlaylists.Segment> SEGS = List.of(
            new HlsPlaylists.Segment(1, 2.0, "2026-01-01T00:00:00Z", false),
            new HlsPlaylists.Segment(2, 2.52, "2026-01-01T00:00:02Z", false),
            new HlsPlaylists.Segment(3, 1.96, "2026-01-01T00:00:04.520Z", false));

    @Test
    void playlistsFollowTheHlsRules() {
        String live = HlsPlaylists.media(SEGS, 1, 3, false, false);
        assertTrue(live.startsWith("#EXTM3U\n"));
        assertTrue(live.contains("#EXT-X-MEDIA-SEQUENCE:2\n"), live);
        assertTrue(!live.contains("seg-00001.ts") && !live.contains("ENDLIST"), live);
        String vod = HlsPlaylists.media(SEGS, 0, 3, true, true);
        assertTrue(vod.contains("#EXT-X-PLAYLIST-TYPE:VOD") && vod.trim().endsWith("#EXT-X-ENDLIST"), vod);
        int target = Integer.parseInt(vod.replaceAll("(?s).*#EXT-X-TARGETDURATION:(\\d+).*", "$1"));
        Matcher m = Pattern.compile("#EXTINF:([0-9.]+),").matcher(vod);
        int n = 0;
        while (m.find()) {
            n++;
            assertTrue(Math.round(Double.parseDouble(m.group(1))) <= target, "EXTINF " + m.group(1) + " > TARGETDURATION " + target);
        }
        assertEquals(3, n);
        assertEquals(3, vod.split("#EXT-X-PROGRAM-DATE-TIME:", -1).length - 1);
    }

    @Test
    void aWrittenPlaylistReadsBackAsItsSegments() {
        HlsPlaylists.Media m = HlsPlaylists.parse(HlsPlaylists.media(SEGS, 0, 3, false, true));
        assertEquals(SEGS, m.segments());
        assertEquals(3, m.targetDuration());
        assertFalse(m.ended());
        assertTrue(HlsPlaylists.parse(HlsPlaylists.media(SEGS, 0, 3, true, true)).ended());
    }

    /** Recovery closes an interrupted event playlist: the text a finished stream would have written. */
    @Test
    void anInterruptedEventPlaylistClosesAsTheVod() {
        String event = HlsPlaylists.media(SEGS, 0, 3, false, true);
        String closed = HlsPlaylists.closed(event);
        assertEquals(HlsPlaylists.media(SEGS, 0, 3, true, true), closed);
        // What recovery wrote before the writer was shared: the same playlist by string edits.
        assertEquals(event.replace("#EXT-X-PLAYLIST-TYPE:EVENT", "#EXT-X-PLAYLIST-TYPE:VOD") + "#EXT-X-ENDLIST\n", closed);
        assertEquals(closed, HlsPlaylists.closed(closed), "closing a closed playlist changes nothing");
    }

    @Test
    void anEmptyEventPlaylistClosesToo() {
        String event = HlsPlaylists.media(List.of(), 0, 2, false, true);
        String closed = HlsPlaylists.closed(event);
        assertTrue(closed.contains("#EXT-X-PLAYLIST-TYPE:VOD") && closed.endsWith("#EXT-X-ENDLIST\n"), closed);
    }

    @Test
    void theMasterNamesTheCaptionsRendition() {
        String master = HlsPlaylists.master(true, 1280, 720, 1_600_000);
        assertTrue(master.contains("TYPE=SUBTITLES") && master.contains("URI=\"captions.m3u8\""), master);
        assertTrue(master.contains("RESOLUTION=1280x720") && master.contains("SUBTITLES=\"subs\""), master);
        assertFalse(HlsPlaylists.master(false, 0, 0, 64_000).contains("RESOLUTION"));
        String subs = HlsPlaylists.subtitles(SEGS, 2, 3, true);
        assertTrue(subs.contains("sub-00001.vtt") && subs.contains("sub-00002.vtt") && !subs.contains("sub-00003.vtt"), subs);
        assertTrue(subs.endsWith("#EXT-X-ENDLIST\n"), subs);
    }

    @Test
    void messagesAreDateRangesWithinTheWindowAndSurviveClosing() {
        HlsPlaylists.DateRange early = new HlsPlaylists.DateRange("a1", Instant.parse("2026-01-01T00:00:01.250Z"), "POLL",
                "Ship \"now\"?\nyes", "{\"options\":[\"yes\",\"no\"]}");
        HlsPlaylists.DateRange late = new HlsPlaylists.DateRange("b2", Instant.parse("2026-01-01T00:00:05Z"), "POLL", "100% sure?", null);
        String vod = HlsPlaylists.withDateRanges(HlsPlaylists.media(SEGS, 0, 3, false, true), List.of(early, late));
        Matcher m = Pattern.compile("#EXT-X-DATERANGE:ID=\"a1\",CLASS=\"io.roomcast.message\",START-DATE=\"([^\"]+)\","
                + "X-TOPIC=\"POLL\",X-MESSAGE=\"([^\"]*)\",X-PAYLOAD=\"([^\"]*)\"\n").matcher(vod);
        assertTrue(m.find(), vod);
        assertEquals(Instant.parse("2026-01-01T00:00:01.250Z"), Instant.parse(m.group(1)));
        assertEquals("Ship \"now\"?\nyes", URLDecoder.decode(m.group(2), StandardCharsets.UTF_8), "quotes and line breaks survive");
        assertEquals("{\"options\":[\"yes\",\"no\"]}", URLDecoder.decode(m.group(3), StandardCharsets.UTF_8));
        assertTrue(vod.contains("ID=\"b2\"") && vod.contains("X-MESSAGE=\"100%25%20sure%3F\"") && !vod.contains("ID=\"b2\",X-PAYLOAD"), vod);
        assertTrue(vod.indexOf("#EXT-X-DATERANGE") < vod.indexOf("#EXT-X-PROGRAM-DATE-TIME"), "before the first segment");
        // A live window that starts after a message leaves it out.
        String live = HlsPlaylists.withDateRanges(HlsPlaylists.media(SEGS, 1, 3, false, false), List.of(early, late));
        assertTrue(!live.contains("ID=\"a1\"") && live.contains("ID=\"b2\""), live);
        // Without a program date there is no clock to place them on.
        assertEquals("#EXTM3U\n", HlsPlaylists.withDateRanges("#EXTM3U\n", List.of(early)));
        // Crash recovery closes a stored event playlist as the VOD and keeps them.
        String closed = HlsPlaylists.closed(vod);
        assertTrue(closed.contains("ID=\"a1\"") && closed.contains("ID=\"b2\"") && closed.contains("#EXT-X-ENDLIST"), closed);
    }
}
