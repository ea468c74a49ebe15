package io.roomcast.output.hls;

import io.roomcast.Roomcast;
import io.roomcast.support.Api;
import io.roomcast.support.Media;
import io.roomcast.support.NodeExtension;
import io.roomcast.support.Participants;
import io.roomcast.support.RtpSender;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Low-latency HLS as served, against the rules of RFC 8216bis: the live playlist's parts, hints and
 * server control; a blocking reload that blocks and answers when the part is made; parts that are
 * the segment and decode with FFmpeg; and an ordinary fMP4 VOD after the end.
 */
class LowLatencyHlsTest {
    @RegisterExtension
    final NodeExtension fresh = new NodeExtension();
    Roomcast node;
    Api api;
    @TempDir
    Path downloads;

    private static final Pattern PART = Pattern.compile("#EXT-X-PART:DURATION=([0-9.]+),URI=\"(seg-(\\d{5})\\.(\\d+)\\.m4s)\"(,INDEPENDENT=YES)?");
    private static final Pattern HINT = Pattern.compile("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"seg-(\\d{5})\\.(\\d+)\\.m4s\"");

    @Test
    void livePlaylistFollowsTheRfcAndBlockingReloadBlocks() throws Exception {
        String room = api.createRoom();
        Participants.join(api, room, "ann", 11, 12, "vp8");
        try (RtpSender v = RtpSender.video(node.rtpPort(), 12, 96, "vp8", 640, 360).talkingHead();
             RtpSender a = RtpSender.opus(node.rtpPort(), 11, 111)) {
            v.startTestSignal(16);
            a.startTestSignal(16);
            assertEquals(400, api.post("/v2/hls/start", new JsonObject().put("roomId", room)
                    .put("config", new JsonObject().put("hls", new JsonObject().put("lowLatency", "yes")))).status());
            JsonObject h = api.post("/v2/hls/start", new JsonObject().put("roomId", room).put("preset", "grid-360p")
                    .put("config", new JsonObject().put("hls", new JsonObject().put("lowLatency", true)))).json();
            String base = "/v2/hls/" + h.getString("id") + "/";
            String live = null;
            Api.Response r = null;
            for (int i = 0; i < 100; i++) { // until two whole segments are listed
                r = api.get(base + "live.m3u8");
                if (r.status() == 200 && r.body().split("#EXTINF", -1).length > 2) {
                    live = r.body();
                    break;
                }
                Thread.sleep(100);
            }
            assertTrue(live != null, "a live playlist with two segments: " + r.status() + " " + r.body() + " "
                    + api.get("/v2/hls/" + h.getString("id")).body());
            System.out.println("LL-HLS live playlist\n" + live);
            double partTarget = checkRules(live);

            // Blocking reload: the part after the hinted one is not made yet; the request waits for it.
            Matcher hint = HINT.matcher(live);
            assertTrue(hint.find(), live);
            int msn = Integer.parseInt(hint.group(1));
            int next = Integer.parseInt(hint.group(2)) + 1;
            long t0 = System.nanoTime();
            Api.Response blocked = api.get(base + "live.m3u8?_HLS_msn=" + msn + "&_HLS_part=" + next);
            double waited = (System.nanoTime() - t0) / 1e9;
            assertEquals(200, blocked.status(), blocked.body());
            String wanted = String.format("seg-%05d.%d.m4s", msn, next);
            String nextSegment = String.format("seg-%05d.m4s", msn);
            assertTrue(blocked.body().contains(wanted) || blocked.body().contains(nextSegment), wanted + " in\n" + blocked.body());
            assertTrue(waited > 0.2 && waited < 2.5, "held until the part was made: " + waited + " s");
            checkRules(blocked.body());
            // A player following the hints, part after part across segment boundaries: every answer lists
            // the next hint (a playlist that ends on a closed segment without one makes hls.js misplace it).
            String followed = blocked.body();
            for (int i = 0; i < 8; i++) {
                Matcher h2 = HINT.matcher(followed);
                assertTrue(h2.find(), "every live playlist ends with a preload hint:\n" + followed);
                Api.Response next2 = api.get(base + "live.m3u8?_HLS_msn=" + h2.group(1) + "&_HLS_part=" + h2.group(2));
                assertEquals(200, next2.status(), next2.body());
                followed = next2.body();
                assertTrue(followed.contains(String.format("seg-%05d.%s.m4s", Integer.parseInt(h2.group(1)), h2.group(2))),
                        "the answer lists the part asked for:\n" + followed);
                checkRules(followed);
            }
            Api.Response far = api.get(base + "live.m3u8?_HLS_msn=" + (msn + 5));
            assertEquals(400, far.status(), far.body());
            assertEquals("too_far_ahead", far.errorCode());
            assertEquals(400, api.get(base + "live.m3u8?_HLS_part=1").status(), "_HLS_part without _HLS_msn");

            // The parts of a listed segment are that segment, and with the init segment they decode.
            List<String[]> parts = parts(followed);
            String firstWhole = parts.get(0)[2];
            ByteArrayOutputStream joined = new ByteArrayOutputStream();
            for (String[] p : parts) if (p[2].equals(firstWhole)) joined.write(bytes(base + p[1]));
            byte[] segment = bytes(base + String.format("seg-%05d.m4s", Integer.parseInt(firstWhole)));
            assertArrayEquals(segment, joined.toByteArray(), "a segment is its parts one after another");
            Path file = downloads.resolve("seg.mp4");
            Files.write(file, bytes(base + "init.mp4"));
            Files.write(file, segment, StandardOpenOption.APPEND);
            Media.Probe probe = Media.probe(file.toString());
            assertEquals("h264", probe.videoCodec(), probe.toString());
            assertEquals("aac", probe.audioCodec(), probe.toString());
            assertTrue(probe.videoFrames() >= 45, "a 2 s segment of pictures: " + probe);
            assertTrue(partTarget <= 0.5);

            String master = api.get(base + "index.m3u8").body();
            assertTrue(master.contains("live.m3u8") && master.contains("captions.m3u8"), master);
            assertTrue(api.get(base + "captions.m3u8").status() == 200);

            api.post("/v2/hls/end", new JsonObject().put("roomId", room));
            JsonObject done = api.waitFor("/v2/hls/" + h.getString("id"), "status", "stopped", 30_000);
            assertTrue(done.getJsonObject("lowLatency").getJsonObject("ingestToPlayable").getInteger("parts") > 10, done.encode());
            String vod = api.get(base + "playback.m3u8").body();
            assertFalse(vod.contains("#EXT-X-PART"), "the stored VOD is an ordinary playlist: " + vod);
            assertTrue(vod.contains("#EXT-X-MAP:URI=\"init.mp4\"") && vod.contains("#EXT-X-ENDLIST") && vod.contains(".m4s"), vod);
            Media.Probe whole = Media.probe(done.getString("playbackHlsUrl"));
            double wall = Duration.between(Instant.parse(done.getString("start")), Instant.parse(done.getString("end"))).toMillis() / 1000.0;
            assertTrue(whole.seconds() > wall - 2.5 && whole.seconds() < wall + 0.5, "the VOD plays all of it: " + whole + " for " + wall + " s");
            assertTrue(api.get(base + "index.m3u8").body().contains("playback.m3u8"), "after the end the master names the VOD");
        }
    }

    private byte[] bytes(String path) throws Exception {
        HttpResponse<byte[]> r = api.getBytes(path);
        assertEquals(200, r.statusCode(), path);
        return r.body();
    }

    /** [duration, uri, segment, index, independent] of every part listed. */
    private static List<String[]> parts(String playlist) {
        List<String[]> out = new ArrayList<>();
        Matcher m = PART.matcher(playlist);
        while (m.find()) out.add(new String[] {m.group(1), m.group(2), m.group(3), m.group(4), m.group(5) == null ? "" : "YES"});
        return out;
    }

    /** RFC 8216bis rules for a low-latency media playlist; returns the part target. */
    static double checkRules(String pl) {
        assertTrue(pl.startsWith("#EXTM3U\n"), pl);
        Matcher version = Pattern.compile("#EXT-X-VERSION:(\\d+)").matcher(pl);
        assertTrue(version.find() && Integer.parseInt(version.group(1)) >= 6, "EXT-X-MAP and parts need version 6: " + pl);
        Matcher target = Pattern.compile("#EXT-X-PART-INF:PART-TARGET=([0-9.]+)").matcher(pl);
        assertTrue(target.find(), "EXT-X-PART-INF: " + pl);
        double partTarget = Double.parseDouble(target.group(1));
        Matcher control = Pattern.compile("#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=([0-9.]+)").matcher(pl);
        assertTrue(control.find(), "server control: " + pl);
        assertTrue(Double.parseDouble(control.group(1)) >= 2 * partTarget, "PART-HOLD-BACK at least twice PART-TARGET");
        Matcher td = Pattern.compile("#EXT-X-TARGETDURATION:(\\d+)").matcher(pl);
        assertTrue(td.find());
        int targetDuration = Integer.parseInt(td.group(1));
        assertTrue(pl.contains("#EXT-X-MAP:URI=\"init.mp4\""), pl);
        // Walk the lines: parts before a segment's URI are that segment's; they add up to its EXTINF.
        double partsSum = 0;
        int partsSeen = 0;
        int expectIndex = 0;
        String seq = null;
        String[] lines = pl.split("\n");
        for (String line : lines) {
            Matcher p = PART.matcher(line);
            if (p.matches()) {
                double d = Double.parseDouble(p.group(1));
                assertTrue(d <= partTarget + 1e-9, "a part no longer than PART-TARGET: " + line);
                if (!p.group(3).equals(seq)) {
                    seq = p.group(3);
                    expectIndex = 0;
                    partsSum = 0;
                    partsSeen = 0;
                }
                assertEquals(expectIndex++, Integer.parseInt(p.group(4)), "parts in order: " + line);
                if (expectIndex == 1) assertTrue(p.group(5) != null, "a segment's first part starts on a keyframe: " + line);
                partsSum += d;
                partsSeen++;
            } else if (line.startsWith("#EXTINF:")) {
                double extinf = Double.parseDouble(line.substring(8, line.indexOf(',')));
                assertTrue(Math.round(extinf) <= targetDuration, "EXTINF within TARGETDURATION: " + line);
                if (partsSeen > 0) assertEquals(extinf, partsSum, 0.05, "parts add up to the segment: " + pl);
            } else if (line.matches("seg-\\d{5}\\.m4s")) {
                if (partsSeen > 0) assertEquals(seq, line.substring(4, 9), "the parts listed are this segment's");
                partsSeen = 0;
                partsSum = 0;
                seq = null;
            }
        }
        String last = lines[lines.length - 1];
        Matcher hint = HINT.matcher(last);
        assertTrue(hint.matches(), "the preload hint comes last: " + last);
        if (seq != null) {
            assertEquals(seq, hint.group(1), "the hint is the next part of the segment in progress");
            assertEquals(expectIndex, Integer.parseInt(hint.group(2)));
        }
        return partTarget;
    }
}
