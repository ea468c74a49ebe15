package io.roomcast.interop;

import io.roomcast.Roomcast;
import io.roomcast.support.Api;
import io.roomcast.support.Browser;
import io.roomcast.support.Participants;
import io.roomcast.support.RtpSender;
import io.roomcast.support.TestNode;
import io.roomcast.support.Tokens;
import io.roomcast.support.Wav;
import io.roomcast.support.Wer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Low-latency HLS in a real player: hls.js (from the npm registry, served by the node at
 * /console/player.html) in Debian's headless Chromium, driven by chromium-driver. The player must
 * take the low-latency path (parts, blocking reload), reach the live edge, keep playing, and show
 * the captions rendition's words; after the end, the stored VOD plays too.
 */
class HlsPlayerInterop {
    @TempDir
    Path data;
    @TempDir
    Path work;

    static final String[] CLIPS = {"s02", "s06"};

    @Test
    void hlsJsPlaysTheLowLatencyStreamAtTheLiveEdgeWithCaptions() throws Exception {
        Wav speech = Wav.program(8.0, 1.0, CLIPS[0] + ".wav", CLIPS[1] + ".wav");
        double talk = speech.samples.length / (double) speech.sampleRate;
        try (Roomcast node = TestNode.start(data)) {
            Api api = new Api(node.httpPort(), Tokens.admin());
            String room = api.createRoom();
            Participants.join(api, room, "ann", 11, 12, "vp8");
            assertEquals(200, api.post("/v2/transcription/start", new JsonObject().put("roomId", room)).status());
            try (RtpSender v = RtpSender.video(node.rtpPort(), 12, 96, "vp8", 640, 360).talkingHead();
                 RtpSender a = RtpSender.opus(node.rtpPort(), 11, 111);
                 Browser browser = Browser.open(work.resolve("chromium"), 1280, 900)) {
                v.startTestSignal(talk + 8);
                a.startSamples(speech.samples, speech.sampleRate);
                JsonObject h = api.post("/v2/hls/start", new JsonObject().put("roomId", room).put("preset", "grid-360p")
                        .put("config", new JsonObject().put("hls", new JsonObject().put("lowLatency", true))
                                .put("timedMetadataTopics", new JsonArray().add("POLL")))).json();
                String id = h.getString("id");
                String live = api.waitFor("/v2/hls/" + id, "status", "started", 15_000).getString("masterPlaylistUrl");
                String page = "http://127.0.0.1:" + node.httpPort() + "/console/player.html?src=" + URLEncoder.encode(live, StandardCharsets.UTF_8);
                browser.get(page);
                Object mse = browser.eval("return MediaSource.isTypeSupported('video/mp4; codecs=\"avc1.42c01f,mp4a.40.2\"')");
                assertEquals(Boolean.TRUE, mse, "Chromium plays H.264 + AAC in MSE");

                // Playing, on the low-latency path, for a while: sample the player every half second.
                double mostBehind = 0;
                double firstPlaying = -1;
                Map<?, ?> s = null;
                long t0 = System.nanoTime();
                double elapsed = 0;
                double playedFrom = -1;
                JsonObject poll = null;
                while ((elapsed = (System.nanoTime() - t0) / 1e9) < talk + 4) {
                    Thread.sleep(500);
                    s = state(browser);
                    if (poll == null && firstPlaying >= 0 && elapsed > firstPlaying + 4) { // a poll, timed into the stream
                        poll = api.post("/v2/rooms/" + room + "/messages", new JsonObject().put("topic", "POLL").put("senderId", "ann")
                                .put("message", "Ready \"now\"?").put("payload", new JsonObject().put("options", new JsonArray().add("yes").add("no")))).json();
                    }
                    assertTrue(((List<?>) s.get("errors")).isEmpty(), "no player errors: " + s);
                    if (Boolean.TRUE.equals(s.get("playing"))) {
                        if (firstPlaying < 0) {
                            firstPlaying = elapsed;
                            playedFrom = num(s, "currentTime");
                        } else if (elapsed > firstPlaying + 3) {
                            mostBehind = Math.max(mostBehind, num(s, "latency"));
                        }
                    }
                }
                System.out.printf("hls.js: playing %.1f s after load, %.1f s played, behind the live edge %.2f s now (at most %.2f, target %.2f),"
                        + " capture to screen %.2f s, state %s%n", firstPlaying, num(s, "currentTime") - playedFrom,
                        num(s, "latency"), mostBehind, num(s, "targetLatency"), num(s, "captureToScreen"), s);
                browser.screenshot(Path.of("target", "hls-player.png")); // kept for a person to look at
                assertTrue(firstPlaying >= 0 && firstPlaying < 10, "playing within 10 s of opening the page: " + s);
                assertEquals(Boolean.TRUE, s.get("lowLatency"), "hls.js took the low-latency path (parts): " + s);
                assertEquals(Boolean.TRUE, s.get("canBlockReload"), s.toString());
                assertEquals(Boolean.TRUE, s.get("playing"), "still playing at the end: " + s);
                double played = num(s, "currentTime") - playedFrom;
                assertTrue(played > elapsed - firstPlaying - 3, "played on without stalls: " + played + " s in " + (elapsed - firstPlaying) + " s");
                assertTrue(mostBehind <= 3.0, "kept at the live edge (PART-HOLD-BACK 1.5 s): at most " + mostBehind + " s behind");
                assertTrue(num(s, "captureToScreen") <= 4.0, "capture to screen: " + s);

                // hls.js gave the page the poll as metadata cues, at a moment of the stream it played.
                Map<?, ?> shown = (Map<?, ?>) ((Map<?, ?>) s.get("messages")).get(poll.getString("id"));
                System.out.println("hls.js metadata cues of the poll: " + shown);
                assertTrue(shown != null, "the poll reached the page as metadata cues: " + s.get("messages"));
                assertEquals("POLL", shown.get("topic"));
                assertEquals("Ready \"now\"?", shown.get("message"));
                assertEquals(List.of("yes", "no"), ((Map<?, ?>) shown.get("payload")).get("options"));
                assertTrue(num(shown, "start") > playedFrom && num(shown, "start") < num(s, "currentTime"),
                        "the poll's moment is in what was played: " + shown + " in " + playedFrom + ".." + num(s, "currentTime"));

                String heard = String.join(" ", ((List<?>) s.get("captionTexts")).stream().map(Object::toString).toList());
                String said = Wer.reference(CLIPS[0] + ".wav") + " " + Wer.reference(CLIPS[1] + ".wav");
                double wer = Wer.rate(said, heard);
                System.out.printf("hls.js captions (WER %.3f): %s%n", wer, heard);
                assertTrue(wer <= 0.35, "the player shows the spoken words as captions (WER " + wer + "): " + heard);

                assertEquals(200, api.post("/v2/hls/end", new JsonObject().put("roomId", room)).status());
                String vod = api.waitFor("/v2/hls/" + id, "status", "stopped", 30_000).getString("playbackHlsUrl");
                browser.get("http://127.0.0.1:" + node.httpPort() + "/console/player.html?src=" + URLEncoder.encode(vod, StandardCharsets.UTF_8));
                Map<?, ?> r = null;
                for (int i = 0; i < 40; i++) {
                    Thread.sleep(250);
                    r = state(browser);
                    if (num(r, "currentTime") > 2) break;
                }
                assertTrue(num(r, "currentTime") > 2 && Boolean.FALSE.equals(r.get("live")), "the stored VOD plays: " + r);
            }
        }
    }

    private static Map<?, ?> state(Browser b) {
        return (Map<?, ?>) b.eval("const p = window.roomcastPlayer; return {errors: p.errors, warnings: p.warnings, playing: p.playing, latency: p.latency,"
                + " targetLatency: p.targetLatency, lowLatency: p.lowLatency, canBlockReload: p.canBlockReload, live: p.live,"
                + " currentTime: p.currentTime, captureToScreen: p.captureToScreen, bufferAhead: p.bufferAhead,"
                + " captionTexts: p.captions.map(c => c.text), messages: p.messages}");
    }

    private static double num(Map<?, ?> s, String key) {
        Object v = s.get(key);
        return v instanceof Number n ? n.doubleValue() : Double.NaN;
    }
}
