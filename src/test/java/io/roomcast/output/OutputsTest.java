package io.roomcast.output;

import io.roomcast.Roomcast;
import io.roomcast.support.Api;
import io.roomcast.support.JarProcess;
import io.roomcast.support.LossyRelay;
import io.roomcast.support.Media;
import io.roomcast.support.NodeExtension;
import io.roomcast.support.Participants;
import io.roomcast.support.RtpSender;
import io.roomcast.support.TestNode;
import io.roomcast.support.Tokens;
import io.roomcast.support.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two participants sending real RTP, recorded, pushed over RTMP and watched over HLS at once; each
 * output started and ended on its own through the API, and read back with FFmpeg. What every kind
 * shares (media that drops or is lost, sessions without tracks, decoding only what is shown, limits)
 * is tested here; each kind's own behaviour in its package.
 */
class OutputsTest {
    /** A fresh node for every test, in {@link #node} and {@link #api}. */
    @RegisterExtension
    final NodeExtension fresh = new NodeExtension();
    Roomcast node;
    Api api;
    @TempDir
    Path data;
    @TempDir
    Path downloads;

    @Test
    void recordingRtmpAndHlsAtOnceEachStartedAndEndedAlone() throws Exception {
        try (WebhookReceiver hooks = new WebhookReceiver()) {
            String room = api.post("/v2/rooms", new JsonObject().put("webhook", new JsonObject().put("url", hooks.url())))
                    .json().getString("roomId");
            String session = Participants.join(api, room, "ann", 11, 12, "vp8");
            Participants.join(api, room, "ben", 21, 22, "h264");
            int rtmpPort = JarProcess.freePort();
            try (RtpSender aa = RtpSender.opus(node.rtpPort(), 11, 111);
                 RtpSender av = RtpSender.video(node.rtpPort(), 12, 96, "vp8", 640, 360).talkingHead();
                 RtpSender ba = RtpSender.opus(node.rtpPort(), 21, 111);
                 RtpSender bv = RtpSender.video(node.rtpPort(), 22, 102, "h264", 640, 480);
                 Media.RtmpListener rtmp = new Media.RtmpListener(rtmpPort, "live/stream-key")) {
                aa.startTestSignal(14);
                av.startTestSignal(14);
                ba.startTestSignal(14);
                bv.startTestSignal(14);
                Thread.sleep(500);

                Api.Response rec = api.post("/v2/recordings/start", new JsonObject().put("roomId", room)
                        .put("preset", "grid-360p"));
                assertEquals(200, rec.status(), rec.body());
                long recStart = System.nanoTime();
                String recId = rec.json().getString("id");
                assertEquals("starting", rec.json().getString("status"));
                Api.Response hls = api.post("/v2/hls/start", new JsonObject().put("roomId", room).put("preset", "grid-360p"));
                assertEquals(200, hls.status(), hls.body());
                String hlsId = hls.json().getString("id");
                Api.Response ls = api.post("/v2/livestreams/start", new JsonObject().put("roomId", room).put("preset", "grid-360p")
                        .put("outputs", new JsonArray().add(new JsonObject().put("url", "rtmp://127.0.0.1:" + rtmpPort + "/live")
                                .put("streamKey", "stream-key"))));
                assertEquals(200, ls.status(), ls.body());
                assertTrue(!ls.body().contains("stream-key"), "stream keys are not echoed: " + ls.body());

                api.waitFor("/v2/recordings/" + recId, "status", "started", 10_000);
                // HLS playable: the live playlist over HTTP, read by FFmpeg's HLS demuxer.
                long deadline = System.currentTimeMillis() + 15_000;
                while (api.get("/v2/hls?roomId=" + room).json().getJsonArray("data").getJsonObject(0).getInteger("segments") < 2
                        && System.currentTimeMillis() < deadline) {
                    Thread.sleep(200);
                }
                JsonObject h = api.get("/v2/hls?roomId=" + room).json().getJsonArray("data").getJsonObject(0);
                // The URLs play as given: absolute, with a viewer token that reads this stream only.
                String live = h.getString("livestreamUrl");
                var playlist = Media.get(live);
                assertEquals(200, playlist.statusCode(), playlist.body());
                assertTrue(playlist.body().contains("#EXT-X-PROGRAM-DATE-TIME:"), playlist.body());
                var cors = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(live))
                        .header("Origin", "https://viewer.example").build(), HttpResponse.BodyHandlers.ofString());
                assertTrue(cors.headers().firstValue("access-control-allow-origin").isPresent(), "CORS for browser players: " + cors.headers());
                String viewer = live.substring(live.indexOf("token=") + 6);
                assertEquals(403, api.as(viewer).get("/v2/rooms/" + room).status(), "a viewer token plays, nothing more");
                assertEquals(403, api.as(viewer).post("/v2/hls/end", new JsonObject().put("roomId", room)).status());
                Media.Probe liveProbe = Media.probe(live, 40);
                assertEquals("h264", liveProbe.videoCodec());
                assertEquals(640, liveProbe.width());
                assertTrue(liveProbe.videoFrames() >= 40, "live HLS decodes: " + liveProbe);

                // Outputs end one by one; the others keep going.
                Thread.sleep(2000);
                assertEquals(200, api.post("/v2/livestreams/end", new JsonObject().put("roomId", room)).status());
                Thread.sleep(1500);
                assertEquals(200, api.post("/v2/recordings/end", new JsonObject().put("roomId", room)).status());
                double recSeconds = (System.nanoTime() - recStart) / 1e9;
                Thread.sleep(1000);
                assertEquals(200, api.post("/v2/hls/end", new JsonObject().put("roomId", room)).status());

                JsonObject done = api.waitFor("/v2/recordings/" + recId, "status", "stopped", 30_000);
                JsonObject file = done.getJsonObject("file");
                assertEquals("recordings/" + room + "/" + session + "/" + recId + ".mp4", file.getString("filePath"));
                Path mp4 = Media.download(file.getString("fileUrl"), downloads.resolve("rec.mp4"));
                Media.Probe p = Media.probe(mp4.toString());
                assertEquals("h264", p.videoCodec(), p.toString());
                assertEquals("aac", p.audioCodec(), p.toString());
                assertEquals(640, p.width());
                assertEquals(360, p.height());
                assertTrue(Math.abs(p.seconds() - recSeconds) < 0.5, "recording " + p.seconds() + " s for a call of " + recSeconds + " s");
                assertTrue(Math.abs(file.getJsonObject("meta").getDouble("duration") - p.seconds()) < 0.1, file.encode());
                assertTrue(p.videoFrames() >= (recSeconds - 0.6) * 25, "frames: " + p);
                // Each participant's own audio, copied without re-encoding, on the recording's timeline.
                JsonArray voices = done.getJsonArray("participantFiles");
                assertEquals(2, voices.size(), done.encode());
                for (int i = 0; i < voices.size(); i++) {
                    JsonObject v = voices.getJsonObject(i);
                    assertTrue(v.getString("filePath").startsWith("recordings/" + room + "/" + session + "/" + recId + "/participants/"));
                    Path webm = downloads.resolve(v.getString("participantId") + ".webm");
                    Files.write(webm, node.store().get(v.getString("filePath")).await().getBytes());
                    Media.Probe vp = Media.probe(webm.toString());
                    assertEquals("opus", vp.audioCodec(), vp.toString());
                    // The senders stopped about 13.5 s into the recording; the composite goes on (silence).
                    assertTrue(vp.seconds() > 12.5 && vp.seconds() < Math.min(14, p.seconds()), vp + " vs the composite " + p.seconds());
                }

                assertTrue(rtmp.videoFrames() > 100, "RTMP server received " + rtmp.videoFrames() + " pictures");
                assertEquals("h264", rtmp.videoCodec());
                assertTrue(rtmp.audioFrames() > 100, "and audio: " + rtmp.audioFrames());
                JsonObject lsDone = api.get("/v2/livestreams?roomId=" + room).json().getJsonArray("data").getJsonObject(0);
                assertEquals("stopped", lsDone.getString("status"), lsDone.encode());

                // The ended HLS plays as VOD.
                api.waitFor("/v2/hls?roomId=" + room, "status", "stopped", 15_000);
                var vod = Media.get(h.getString("playbackHlsUrl"));
                assertTrue(vod.body().contains("#EXT-X-ENDLIST") && vod.body().contains("#EXT-X-PLAYLIST-TYPE:VOD"), vod.body());
                Media.Probe vodProbe = Media.probe(h.getString("playbackHlsUrl"));
                assertTrue(vodProbe.videoFrames() > 200, "VOD decodes: " + vodProbe);
            }
            List<String> types = hooks.deliveries().stream().map(WebhookReceiver.Delivery::type).toList();
            for (String t : List.of("recording-starting", "recording-started", "recording-stopping", "recording-stopped",
                    "livestream-starting", "livestream-started", "livestream-stopped", "hls-started", "hls-playable", "hls-stopped")) {
                assertTrue(types.contains(t), t + " in " + types);
            }
        }
    }

    /**
     * A camera is decoded only while an output shows video: with an audio-only recording running its
     * pictures are counted and skipped; a video HLS then gets them from a keyframe on (a PLI asks for
     * one), and the pictures stop being decoded again once that HLS ends.
     */
    @Test
    void aCameraIsDecodedOnlyWhileAnOutputShowsIt() throws Exception {
        String room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
        Participants.join(api, room, "dee", 51, 52, "vp8");
        try (RtpSender a = RtpSender.opus(node.rtpPort(), 51, 111);
             RtpSender v = RtpSender.browserVideo(node.rtpPort(), 52, 96, "vp8", 640, 360, true).talkingHead()) {
            a.startTestSignal(14);
            v.startTestSignal(14);
            String rec = api.post("/v2/recordings/start", new JsonObject().put("roomId", room)
                    .put("config", new JsonObject().put("mode", "audio"))).json().getString("id");
            api.waitFor("/v2/recordings/" + rec, "status", "started", 10_000);
            Thread.sleep(3000);
            JsonObject before = api.trackStats(room, "dee", "video");
            // Decoded only until the sender has shown that it answers keyframe requests (a frame or two).
            assertEquals("answered", before.getString("keyframeResponse"), before.encode());
            assertTrue(before.getLong("framesDecoded") <= 5, "an audio-only recording needs no pictures: " + before);
            assertTrue(before.getLong("framesNotDecoded") >= 50, before.encode());

            assertEquals(200, api.post("/v2/hls/start", new JsonObject().put("roomId", room).put("preset", "grid-360p")).status());
            api.waitFor("/v2/hls?roomId=" + room, "status", "started", 10_000);
            Thread.sleep(5000);
            JsonObject during = api.trackStats(room, "dee", "video");
            assertTrue(during.getLong("framesDecoded") >= 60, "decoded while the HLS shows video: " + during);
            assertTrue(during.getLong("keyframeRequests") >= 1, during.encode());
            assertEquals(200, api.post("/v2/hls/end", new JsonObject().put("roomId", room)).status());
            JsonObject h = api.waitFor("/v2/hls?roomId=" + room, "status", "stopped", 15_000);
            Thread.sleep(1000);
            long decodedAfterEnd = api.trackStats(room, "dee", "video").getLong("framesDecoded");
            Thread.sleep(2000);
            JsonObject after = api.trackStats(room, "dee", "video");
            assertEquals(decodedAfterEnd, after.getLong("framesDecoded"), "not decoded once no output shows video: " + after);
            assertTrue(after.getLong("framesNotDecoded") > before.getLong("framesNotDecoded") + 40, after.encode());
            assertTrue(Media.probe(h.getString("playbackHlsUrl")).videoFrames() > 75, "the HLS plays");
            a.join();
            v.join();
        }
    }

    /** A participant drops for 3 s and comes back: the recording and HLS carry on, one file, no gap. */
    @Test
    void aParticipantDroppingForSecondsNeverEndsAnOutput() throws Exception {
        String room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
        Participants.join(api, room, "fay", 501, 502, "vp8");
        String rec = api.post("/v2/recordings/start", new JsonObject().put("roomId", room).put("preset", "grid-360p"))
                .json().getString("id");
        String hls = api.post("/v2/hls/start", new JsonObject().put("roomId", room).put("preset", "grid-360p"))
                .json().getString("id");
        long t0 = System.nanoTime();
        for (int round = 0; round < 2; round++) {
            try (RtpSender a = RtpSender.opus(node.rtpPort(), 501, 111);
                 RtpSender v = RtpSender.video(node.rtpPort(), 502, 96, "vp8", 640, 360).talkingHead()) {
                a.startTestSignal(4);
                v.startTestSignal(4);
                a.join();
                v.join();
            }
            if (round == 0) {
                Thread.sleep(3000); // gone: no packets at all
                assertEquals("started", api.get("/v2/recordings/" + rec).json().getString("status"));
            }
        }
        api.post("/v2/recordings/end", new JsonObject().put("roomId", room));
        api.post("/v2/hls/end", new JsonObject().put("roomId", room));
        double seconds = (System.nanoTime() - t0) / 1e9;
        JsonObject done = api.waitFor("/v2/recordings/" + rec, "status", "stopped", 30_000);
        Media.Probe p = Media.probe(Media.download(done.getJsonObject("file").getString("fileUrl"), downloads.resolve("d.mp4")).toString());
        assertTrue(Math.abs(p.seconds() - seconds) < 1.0, p.seconds() + " s of " + seconds);
        assertTrue(p.videoFrames() >= (p.seconds() - 0.5) * 25, "pictures all along, the gap included: " + p);
        JsonObject h = api.waitFor("/v2/hls?roomId=" + room, "status", "stopped", 15_000); // the newest stream, on top
        assertEquals(hls, h.getString("id"));
        assertEquals("stopped", h.getString("status"));
        assertTrue(h.getInteger("segments") >= (int) (seconds / 2) - 1, "segments all along: " + h.encode());
    }

    /** 5 % loss, 2 % reordering and delays on every track: the recording and HLS stay continuous. */
    @Test
    void packetLossNeverBreaksTheRecordingOrHls() throws Exception {
        String room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
        Participants.join(api, room, "gus", 601, 602, "vp8");
        String rec = api.post("/v2/recordings/start", new JsonObject().put("roomId", room).put("preset", "grid-360p"))
                .json().getString("id");
        api.post("/v2/hls/start", new JsonObject().put("roomId", room).put("preset", "grid-360p"));
        long t0 = System.nanoTime();
        try (LossyRelay relay = new LossyRelay(node.rtpPort());
             RtpSender a = RtpSender.opus(relay.port(), 601, 111);
             RtpSender v = RtpSender.video(relay.port(), 602, 96, "vp8", 640, 360).talkingHead()) {
            a.startTestSignal(10);
            v.startTestSignal(10);
            a.join();
            v.join();
            assertTrue(relay.dropped() > 20, "the relay dropped " + relay.dropped());
        }
        api.post("/v2/recordings/end", new JsonObject().put("roomId", room));
        api.post("/v2/hls/end", new JsonObject().put("roomId", room));
        double seconds = (System.nanoTime() - t0) / 1e9;
        JsonObject done = api.waitFor("/v2/recordings/" + rec, "status", "stopped", 30_000);
        Media.Probe p = Media.probe(Media.download(done.getJsonObject("file").getString("fileUrl"), downloads.resolve("l.mp4")).toString());
        assertTrue(Math.abs(p.seconds() - seconds) < 0.7, p.seconds() + " s of " + seconds);
        assertTrue(p.videoFrames() >= (p.seconds() - 0.5) * 25, "a picture for every frame time despite the loss: " + p);
        assertTrue(p.audioFrames() >= (p.seconds() - 0.5) * 46, "continuous audio: " + p);
        JsonObject h = api.waitFor("/v2/hls?roomId=" + room, "status", "stopped", 15_000); // the newest stream, on top
        Media.Probe vod = Media.probe(h.getString("playbackHlsUrl"));
        assertTrue(vod.videoFrames() >= (p.seconds() - 1.5) * 25, "the HLS VOD plays through: " + vod);
    }

    /**
     * A session whose only participant sends nothing (no tracks at all): outputs still reach
     * started within seconds, carry placeholder pictures and silence, and end cleanly.
     */
    @Test
    void aSessionWithNoTracksStartsAndEndsOutputsCleanly() throws Exception {
        String room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
        assertEquals(200, api.post("/v2/rooms/" + room + "/participants", new JsonObject().put("participantId", "nat")
                .put("name", "Nat Empty").put("tracks", new JsonArray())).status());
        String rec = api.post("/v2/recordings/start", new JsonObject().put("roomId", room).put("preset", "grid-360p"))
                .json().getString("id");
        assertEquals(200, api.post("/v2/hls/start", new JsonObject().put("roomId", room).put("preset", "grid-360p")).status());
        api.waitFor("/v2/recordings/" + rec, "status", "started", 10_000);
        api.waitFor("/v2/hls?roomId=" + room, "status", "started", 10_000);
        long t0 = System.nanoTime();
        Thread.sleep(4000);
        assertEquals(200, api.post("/v2/recordings/end", new JsonObject().put("roomId", room)).status());
        assertEquals(200, api.post("/v2/hls/end", new JsonObject().put("roomId", room)).status());
        double seconds = (System.nanoTime() - t0) / 1e9;
        JsonObject done = api.waitFor("/v2/recordings/" + rec, "status", "stopped", 30_000);
        Media.Probe p = Media.probe(Media.download(done.getJsonObject("file").getString("fileUrl"), downloads.resolve("n.mp4")).toString());
        assertEquals("h264", p.videoCodec());
        assertEquals("aac", p.audioCodec());
        assertTrue(p.seconds() >= seconds - 0.5 && p.videoFrames() >= (seconds - 0.5) * 25, "placeholder pictures all along: " + p);
        JsonObject h = api.waitFor("/v2/hls?roomId=" + room, "status", "stopped", 15_000);
        assertTrue(Media.probe(h.getString("playbackHlsUrl")).videoFrames() > 50, "the HLS VOD plays");
    }

    /** Outputs per room are bounded by config: one too many gets 429 with a JSON error. */
    @Test
    void outputsPerRoomAreBounded() throws Exception {
        Map<String, Object> cfg = TestNode.defaults(data);
        cfg.put("limits.maxOutputsPerRoom", 2);
        try (Roomcast node = TestNode.start(cfg)) {
            Api api = new Api(node.httpPort(), Tokens.admin());
            String room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
            Participants.join(api, room, "hal", 701, 0, "vp8");
            assertEquals(200, api.post("/v2/recordings/start", new JsonObject().put("roomId", room)
                    .put("config", new JsonObject().put("mode", "audio"))).status());
            assertEquals(200, api.post("/v2/hls/start", new JsonObject().put("roomId", room).put("preset", "audio-only")).status());
            Api.Response third = api.post("/v2/livestreams/start", new JsonObject().put("roomId", room)
                    .put("outputs", new JsonArray().add(new JsonObject().put("url", "rtmp://127.0.0.1:1/live/x"))));
            assertEquals(429, third.status(), third.body());
            assertEquals("too_many_outputs", third.errorCode());
            Api.Response again = api.post("/v2/recordings/start", new JsonObject().put("roomId", room));
            assertEquals(409, again.status(), "one recording per room at a time: " + again.body());
            assertEquals("already_recording", again.errorCode());
        }
    }
}
