package io.roomcast.transcribe;

import io.roomcast.Roomcast;
import io.roomcast.support.Api;
import io.roomcast.support.LossyRelay;
import io.roomcast.support.NodeExtension;
import io.roomcast.support.RtpSender;
import io.roomcast.support.Sse;
import io.roomcast.support.TestNode;
import io.roomcast.support.Tokens;
import io.roomcast.support.Tracks;
import io.roomcast.support.Wav;
import io.roomcast.support.Wer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real speech as Opus RTP into a room; captions per speaker over SSE, WebSocket and JSON; stored at the end. */
class LiveCaptionsTest {
    @RegisterExtension
    static final NodeExtension NODE = new NodeExtension();
    @TempDir
    static Path data;
    static Roomcast node;
    static Api api;
    static String roomWith(String... participantsAndSsrcs) {
        return roomWith(api, participantsAndSsrcs);
    }

    static String roomWith(Api api, String... participantsAndSsrcs) {
        String room = api.createRoom();
        for (int i = 0; i < participantsAndSsrcs.length; i += 2) {
            String p = participantsAndSsrcs[i];
            api.join(room, p, p.toUpperCase(), Tracks.opus(Long.parseLong(participantsAndSsrcs[i + 1])));
        }
        return room;
    }

    static List<JsonObject> sse(String room, String token) throws Exception {
        return Sse.captions(node.httpPort(), room, token);
    }

    static String finalText(List<JsonObject> captions, String participant) {
        StringBuilder sb = new StringBuilder();
        for (JsonObject c : captions) {
            if (c.getString("type").equals("final") && c.getString("participantId").equals(participant)) {
                sb.append(c.getString("text")).append(' ');
            }
        }
        return sb.toString().trim();
    }

    @Test
    void speechBecomesCaptionsOverSseWebSocketAndJson() throws Exception {
        String room = roomWith("jfk", "9001");
        Api.Response started = api.post("/v2/transcription/start", new JsonObject().put("roomId", room));
        assertEquals(200, started.status(), started.body());
        assertEquals("started", started.json().getString("status"));
        assertEquals("en", started.json().getString("language"));
        assertEquals(409, api.post("/v2/transcription/start", new JsonObject().put("roomId", room)).status());

        List<JsonObject> events = sse(room, Tokens.forRoom(room)); // a viewer's room-limited token
        List<JsonObject> socket = new CopyOnWriteArrayList<>();
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:"
                + node.httpPort() + "/v2/rooms/" + room + "/captions/ws?token=" + Tokens.forRoom(room)), new WebSocket.Listener() {
            @Override
            public CompletionStage<?> onText(WebSocket w, CharSequence text, boolean last) {
                socket.add(new JsonObject(text.toString()));
                w.request(1);
                return null;
            }
        }).join();

        Wav speech = Wav.read(Wav.speech("s02.wav"));
        try (RtpSender audio = RtpSender.opus(node.rtpPort(), 9001, 111)) {
            short[] padded = Arrays.copyOf(speech.samples, speech.samples.length + speech.sampleRate); // 1 s of quiet after
            audio.startSamples(padded, speech.sampleRate);
            audio.join();
        }
        Thread.sleep(1500);
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "done");

        String reference = Wer.reference("s02.wav");
        String heard = finalText(events, "jfk");
        double wer = Wer.rate(reference, heard);
        assertTrue(wer <= 0.2, "WER " + wer + " for '" + heard + "'");
        assertTrue(events.stream().anyMatch(c -> c.getString("type").equals("partial")), "partials stream while speaking");
        JsonObject first = events.stream().filter(c -> c.getString("type").equals("final")).findFirst().orElseThrow();
        assertEquals("JFK", first.getString("participantName"));
        assertTrue(first.getLong("start") >= 0 && first.getLong("start") < first.getLong("end"));
        JsonObject word = first.getJsonArray("words").getJsonObject(0);
        assertNotNull(word.getString("word"));
        assertTrue(word.getDouble("conf") > 0);
        assertEquals(heard, finalText(socket, "jfk"), "the WebSocket carries the same captions");

        JsonObject list = api.get("/v2/rooms/" + room + "/captions").json();
        assertEquals(heard, finalText(list.getJsonArray("data").stream().map(o -> (JsonObject) o).toList(), "jfk"));
        long lastEnd = list.getJsonArray("data").getJsonObject(list.getJsonArray("data").size() - 1).getLong("end");
        assertEquals(0, api.get("/v2/rooms/" + room + "/captions?since=" + lastEnd).json().getJsonArray("data").size());

        Api.Response ended = api.post("/v2/transcription/end", new JsonObject().put("roomId", room));
        assertEquals(200, ended.status(), ended.body());
        String path = ended.json().getString("captionsFilePath");
        JsonObject stored = node.store().getJson(path).toCompletionStage().toCompletableFuture().get();
        assertEquals(heard, finalText(stored.getJsonArray("captions").stream().map(o -> (JsonObject) o).toList(), "jfk"));
        assertEquals(404, api.post("/v2/transcription/end", new JsonObject().put("roomId", room)).status());
    }

    /**
     * Captions are timed on the session clock utterance after utterance: two clips with 3 s of quiet
     * between them (so the recognizer is reset in between); no caption ends after it was emitted, and
     * the captions span no more than the speech did.
     */
    @Test
    void everyUtteranceIsTimedWhereItWasSpoken() throws Exception {
        String room = roomWith("tim", "9351");
        String session = api.get("/v2/sessions?roomId=" + room).json().getJsonArray("data").getJsonObject(0).getString("sessionId");
        long sessionStart = Instant.parse(api.get("/v2/sessions/" + session).json().getString("start")).toEpochMilli();
        assertEquals(200, api.post("/v2/transcription/start", new JsonObject().put("roomId", room)).status());
        List<JsonObject> events = sse(room, Tokens.admin());
        Wav first = Wav.read(Wav.speech("s01.wav"));
        Wav second = Wav.read(Wav.speech("s06.wav"));
        int rate = first.sampleRate;
        short[] both = new short[first.samples.length + 3 * rate + second.samples.length + rate];
        System.arraycopy(first.samples, 0, both, 0, first.samples.length);
        System.arraycopy(second.samples, 0, both, first.samples.length + 3 * rate, second.samples.length);
        try (RtpSender audio = RtpSender.opus(node.rtpPort(), 9351, 111)) {
            audio.startSamples(both, rate);
            audio.join();
        }
        Thread.sleep(1500);
        List<JsonObject> finals = events.stream().filter(c -> c.getString("type").equals("final")).toList();
        assertTrue(finals.size() >= 2, "two utterances at least: " + finals);
        for (JsonObject c : finals) {
            long emitted = Instant.parse(c.getString("emittedAt")).toEpochMilli() - sessionStart;
            assertTrue(c.getLong("end") <= emitted + 50, "a caption cannot end after it was emitted: " + c.encode());
        }
        long span = finals.get(finals.size() - 1).getLong("end") - finals.get(0).getLong("start");
        long spoken = (both.length - rate) * 1000L / rate;
        assertTrue(span <= spoken + 300 && span > spoken - 3000, "captions span " + span + " ms of " + spoken + " ms spoken");
        assertTrue(Wer.rate(Wer.reference("s01.wav") + " " + Wer.reference("s06.wav"), finalText(events, "tim")) <= 0.25);
        api.post("/v2/transcription/end", new JsonObject().put("roomId", room));
    }

    /**
     * Recognition that falls behind skips late audio instead of drifting: 11 s of speech arriving in a
     * burst (as after a stall) cannot be recognized within 200 ms, so most of it is skipped and
     * counted, and speech that follows at its normal pace is captioned in full again.
     */
    @Test
    void recognitionThatFallsBehindSkipsToStayLive() throws Exception {
        var o = TestNode.defaults(data.resolve("lagging"));
        o.put("transcription.maxLagMs", 200);
        o.put("transcription.threads", 1);
        try (Roomcast lagging = TestNode.start(o)) {
            Api a = new Api(lagging.httpPort(), Tokens.admin());
            String room = roomWith(a, "burst", "9451", "calm", "9452");
            assertEquals(200, a.post("/v2/transcription/start", new JsonObject().put("roomId", room)).status());
            List<JsonObject> events = Sse.captions(lagging.httpPort(), room, Tokens.admin());
            Wav speech = Wav.read(Wav.speech("s02.wav"));
            try (RtpSender s = RtpSender.opus(lagging.rtpPort(), 9451, 111).unpaced()) {
                s.startSamples(Arrays.copyOf(speech.samples, speech.samples.length + speech.sampleRate), speech.sampleRate);
                s.join();
            }
            Thread.sleep(3000);
            double skipped = Api.metric(a.get("/metrics").body(), "roomcast_asr_skipped_seconds_total");
            assertTrue(skipped > 3 && skipped < 12.5, "most of the burst skipped: " + skipped + " s");
            // Then speech at its normal pace (another participant; the thread is the same) is captioned in full again.
            int before = events.size();
            Wav next = Wav.read(Wav.speech("s06.wav"));
            try (RtpSender s = RtpSender.opus(lagging.rtpPort(), 9452, 111)) {
                s.startSamples(Arrays.copyOf(next.samples, next.samples.length + next.sampleRate), next.sampleRate);
                s.join();
            }
            Thread.sleep(1500);
            List<JsonObject> after = events.subList(before, events.size());
            double wer = Wer.rate(Wer.reference("s06.wav"), finalText(after, "calm"));
            assertTrue(wer <= 0.3, "captions are live again after the skip: WER " + wer + " in " + after);
        }
    }

    /**
     * The same speech from two participants, one straight to the node and one through 5 % loss, 2 %
     * reordering and 0-50 ms jitter: the lossy one's captions stay within 2 points of word error rate.
     */
    @Test
    void captionsThroughABadNetworkStayWithinTwoPointsOfTheCleanRun() throws Exception {
        String room = roomWith("clean", "9401", "lossy", "9402");
        assertEquals(200, api.post("/v2/transcription/start", new JsonObject().put("roomId", room)).status());
        List<JsonObject> events = sse(room, Tokens.admin());
        String[] clips = {"s15.wav", "s01.wav", "s13.wav", "s06.wav", "s24.wav", "s26.wav", "s14.wav", "s20.wav"};
        StringBuilder reference = new StringBuilder();
        short[] all = new short[0];
        int rate = 16_000;
        for (String clip : clips) {
            Wav w = Wav.read(Wav.speech(clip));
            rate = w.sampleRate;
            int at = all.length;
            all = Arrays.copyOf(all, at + w.samples.length + w.sampleRate); // 1 s of quiet after each
            System.arraycopy(w.samples, 0, all, at, w.samples.length);
            reference.append(Wer.reference(clip)).append(' ');
        }
        try (LossyRelay relay = new LossyRelay(node.rtpPort());
             RtpSender clean = RtpSender.opus(node.rtpPort(), 9401, 111);
             RtpSender lossy = RtpSender.opus(relay.port(), 9402, 111)) {
            clean.startSamples(all, rate);
            lossy.startSamples(all, rate);
            clean.join();
            lossy.join();
            Thread.sleep(1500);
            assertTrue(relay.dropped() > 50 && relay.reordered() > 10, relay.dropped() + " dropped, " + relay.reordered() + " reordered");
        }
        double cleanWer = Wer.rate(reference.toString(), finalText(events, "clean"));
        double lossyWer = Wer.rate(reference.toString(), finalText(events, "lossy"));
        System.out.printf("captions WER: clean %.3f, through loss/reordering/jitter %.3f%n", cleanWer, lossyWer);
        assertTrue(cleanWer <= 0.2, "clean WER " + cleanWer + ": " + finalText(events, "clean"));
        assertTrue(lossyWer <= cleanWer + 0.02, "WER " + lossyWer + " through the bad network, " + cleanWer + " clean: "
                + finalText(events, "lossy"));
        api.post("/v2/transcription/end", new JsonObject().put("roomId", room));
    }

    @Test
    void twoPeopleTalkingAtOnceAreCaptionedApart() throws Exception {
        String room = roomWith("left", "9101", "right", "9102");
        assertEquals(200, api.post("/v2/transcription/start", new JsonObject().put("roomId", room)).status());
        List<JsonObject> events = sse(room, Tokens.admin());
        Wav a = Wav.read(Wav.speech("s22.wav"));
        Wav b = Wav.read(Wav.speech("s23.wav"));
        try (RtpSender sa = RtpSender.opus(node.rtpPort(), 9101, 111); RtpSender sb = RtpSender.opus(node.rtpPort(), 9102, 111)) {
            sa.startSamples(Arrays.copyOf(a.samples, a.samples.length + a.sampleRate), a.sampleRate);
            sb.startSamples(Arrays.copyOf(b.samples, b.samples.length + b.sampleRate), b.sampleRate);
            sa.join();
            sb.join();
        }
        Thread.sleep(1500);
        String left = finalText(events, "left");
        String right = finalText(events, "right");
        String refLeft = Wer.reference("s22.wav");
        String refRight = Wer.reference("s23.wav");
        assertTrue(Wer.rate(refLeft, left) < Wer.rate(refRight, left), "left is the s22 speaker: " + left);
        assertTrue(Wer.rate(refRight, right) < Wer.rate(refLeft, right), "right is the s23 speaker: " + right);
        assertTrue(Wer.rate(refLeft, left) <= 0.3, left);
        assertTrue(Wer.rate(refRight, right) <= 0.3, right);
        api.post("/v2/transcription/end", new JsonObject().put("roomId", room));
    }

    @Test
    void speechThatStopsWithoutQuietIsFinishedByTheHangover() throws Exception {
        String room = roomWith("cut", "9301");
        assertEquals(200, api.post("/v2/transcription/start", new JsonObject().put("roomId", room)).status());
        Wav speech = Wav.read(Wav.speech("s05.wav")); // "we must find a new home in the stars", no quiet after it
        try (RtpSender audio = RtpSender.opus(node.rtpPort(), 9301, 111)) {
            audio.startSamples(speech.samples, speech.sampleRate);
            audio.join();
        }
        long deadline = System.currentTimeMillis() + 2500;
        String heard = "";
        while (System.currentTimeMillis() < deadline && heard.isEmpty()) {
            Thread.sleep(100);
            heard = finalText(api.get("/v2/rooms/" + room + "/captions").json().getJsonArray("data").stream()
                    .map(o -> (JsonObject) o).toList(), "cut");
        }
        assertTrue(Wer.rate(Wer.reference("s05.wav"), heard) <= 0.3, "final caption while still running: '" + heard + "'");
        api.post("/v2/transcription/end", new JsonObject().put("roomId", room));
    }

    @Test
    void badStartsAreRefused() {
        String room = roomWith("x", "9201");
        Api.Response unknown = api.post("/v2/transcription/start", new JsonObject().put("roomId", room).put("language", "xx"));
        assertEquals(400, unknown.status(), unknown.body());
        assertEquals("unknown_language", unknown.errorCode());
        assertEquals(400, api.post("/v2/transcription/start", new JsonObject().put("roomId", room).put("language", "../en")).status());
        String empty = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
        assertEquals(404, api.post("/v2/transcription/start", new JsonObject().put("roomId", empty)).status(), "no session");
        assertEquals(401, api.as(null).get("/v2/rooms/" + room + "/captions?token=forged").status());
        assertEquals(403, api.as(null).get("/v2/rooms/" + room + "/captions?token=" + Tokens.forRoom(empty)).status());
    }

    /**
     * With HLS running, the captions are a WebVTT subtitle rendition of the master playlist: the
     * subtitle segments hold the spoken words, timed against the video segments.
     */
    @Test
    void captionsBecomeAWebVttRenditionOfTheHlsStream() throws Exception {
        String room = roomWith("vic", "301");
        api.post("/v2/transcription/start", new JsonObject().put("roomId", room));
        JsonObject hls = api.post("/v2/hls/start", new JsonObject().put("roomId", room).put("preset", "audio-only")).json();
        Wav speech = Wav.read(Wav.speech("s02.wav"));
        try (RtpSender audio = RtpSender.opus(node.rtpPort(), 301, 111)) {
            short[] padded = new short[speech.samples.length + 2 * speech.sampleRate];
            System.arraycopy(speech.samples, 0, padded, speech.sampleRate, speech.samples.length);
            audio.startSamples(padded, speech.sampleRate);
            audio.join();
        }
        Thread.sleep(1500);
        api.post("/v2/hls/end", new JsonObject().put("roomId", room));
        long deadline = System.currentTimeMillis() + 20_000;
        while (!"stopped".equals(api.get("/v2/hls?roomId=" + room).json().getJsonArray("data").getJsonObject(0).getString("status"))
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
        }
        api.post("/v2/transcription/end", new JsonObject().put("roomId", room));
        String base = "/v2/hls/" + hls.getString("id") + "/";
        String master = api.get(base + "index.m3u8").body();
        assertTrue(master.contains("#EXT-X-MEDIA:TYPE=SUBTITLES") && master.contains("URI=\"captions.m3u8\"")
                && master.contains("SUBTITLES=\"subs\""), master);
        String subs = api.get(base + "captions.m3u8").body();
        assertTrue(subs.contains("#EXT-X-ENDLIST"), subs);
        LinkedHashSet<String> cues = new LinkedHashSet<>();
        int segments = 0;
        for (String line : subs.split("\n")) {
            if (!line.startsWith("sub-")) continue;
            segments++;
            String vtt = api.get(base + line).body();
            assertTrue(vtt.startsWith("WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000"), vtt);
            for (String cue : vtt.split("\n")) if (cue.startsWith("<v VIC>")) cues.add(cue.substring(7));
        }
        String video = api.get(base + "playback.m3u8").body();
        assertEquals(video.split("#EXTINF").length - 1, segments, "one subtitle segment per media segment");
        // A cue spanning two segments is in both: each counted once.
        String heard = String.join(" ", cues);
        assertTrue(Wer.rate(Wer.reference("s02.wav"), heard) <= 0.3, "the captions are in the subtitle track: " + heard);
    }
}
