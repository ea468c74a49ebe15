package io.roomcast.output.hls;

import io.roomcast.Roomcast;
import io.roomcast.support.Api;
import io.roomcast.support.NodeExtension;
import io.roomcast.support.Participants;
import io.roomcast.support.RtpSender;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A player that opens the master as soon as the API answers never meets a playlist it names that
 * is missing or empty: the master is served (503 before, which players retry) once the first segment and its captions are, and the
 * captions playlist is a valid (empty) playlist from the start. hls.js gives up after two failed
 * or empty tries of a playlist (a fatal subtitleTrackLoadError on a slow machine, seen in CI).
 */
class HlsPlayableTest {
    @RegisterExtension
    final NodeExtension fresh = new NodeExtension();
    Roomcast node;
    Api api;

    @ParameterizedTest(name = "lowLatency={0}")
    @ValueSource(booleans = {false, true})
    void everyPlaylistTheMasterNamesIsThereWhenTheMasterIs(boolean lowLatency) throws Exception {
        String room = api.createRoom();
        Participants.join(api, room, "ann", 11, 12, "vp8");
        try (RtpSender v = RtpSender.video(node.rtpPort(), 12, 96, "vp8", 640, 360).talkingHead();
             RtpSender a = RtpSender.opus(node.rtpPort(), 11, 111)) {
            v.startTestSignal(16);
            a.startTestSignal(16);
            JsonObject h = api.post("/v2/hls/start", new JsonObject().put("roomId", room).put("preset", "grid-360p")
                    .put("config", new JsonObject().put("hls", new JsonObject().put("lowLatency", lowLatency)))).json();
            String base = "/v2/hls/" + h.getString("id") + "/";
            List<String> before = new ArrayList<>();
            String master = null;
            for (int i = 0; i < 300 && master == null; i++) {
                Api.Response captions = api.get(base + "captions.m3u8");
                assertEquals(200, captions.status(), "the captions playlist is served from the start: " + captions.body());
                assertMediaPlaylist(captions.body());
                Api.Response m = api.get(base + "index.m3u8");
                if (m.status() == 200) master = m.body();
                else before.add(m.status() + " " + m.errorCode());
                Thread.sleep(50);
            }
            assertTrue(master != null, "the master is served within 15 s");
            // 503, which players retry (hls.js gives up on a 4xx at once), with the reason in JSON.
            assertTrue(!before.isEmpty() && before.stream().allMatch(s -> s.equals("503 not_playable_yet")),
                    "before it is playable the master is unavailable for now: " + before);
            List<String> named = master.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
            Matcher uri = Pattern.compile("URI=\"([^\"?]+)").matcher(master);
            List<String> all = new ArrayList<>(named);
            while (uri.find()) all.add(uri.group(1));
            assertTrue(all.contains("captions.m3u8") && all.contains(lowLatency ? "live.m3u8" : "playback.m3u8"), master);
            for (String name : all) {
                Api.Response r = api.get(base + name.replaceAll("\\?.*", ""));
                assertEquals(200, r.status(), name + " named by the master:\n" + master);
                assertMediaPlaylist(r.body());
                assertTrue(r.body().contains("#EXTINF:"), name + " lists a segment when the master is served:\n" + r.body());
            }
            String firstVtt = api.get(base + "captions.m3u8").body().lines().filter(l -> l.endsWith(".vtt")).findFirst().orElseThrow();
            Api.Response vtt = api.get(base + firstVtt);
            assertEquals(200, vtt.status(), firstVtt);
            assertTrue(vtt.body().startsWith("WEBVTT"), vtt.body());
            api.post("/v2/hls/end", new JsonObject().put("roomId", room));
            api.waitFor("/v2/hls/" + h.getString("id"), "status", "stopped", 30_000);
        }
    }

    private static void assertMediaPlaylist(String text) {
        assertTrue(text.startsWith("#EXTM3U\n") && text.contains("#EXT-X-TARGETDURATION:"), text);
    }
}
