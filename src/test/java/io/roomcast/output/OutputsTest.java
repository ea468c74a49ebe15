package io.roomcast.output;

import io.roomcast.Roomcast;
import io.roomcast.support.Api;
import io.roomcast.support.Media;
import io.roomcast.support.RtpSender;
import io.roomcast.support.TestNode;
import io.roomcast.support.Tokens;
import io.roomcast.support.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two participants sending real RTP, recorded, pushed over RTMP and watched over HLS at once; each
 * output started and ended on its own through the API, and read back with FFmpeg.
 */
class OutputsTest {
    @TempDir
    Path data;
    @TempDir
    Path downloads;

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static String join(Api api, String room, String pid, long audioSsrc, long videoSsrc, String codec) {
        JsonArray tracks = new JsonArray().add(new JsonObject().put("kind", "audio").put("codec", "opus")
                .put("ssrc", audioSsrc).put("payloadType", 111));
        if (videoSsrc > 0) {
            tracks.add(new JsonObject().put("kind", "video").put("codec", codec).put("ssrc", videoSsrc)
                    .put("payloadType", codec.equals("h264") ? 102 : 96));
        }
        Api.Response r = api.post("/v2/rooms/" + room + "/participants", new JsonObject().put("participantId", pid)
                .put("name", pid.substring(0, 1).toUpperCase() + pid.substring(1) + " Example").put("tracks", tracks));
        assertEquals(200, r.status(), r.body());
        return r.json().getString("sessionId");
    }

    static JsonObject waitFor(Api api, String path, String field, String value, long timeoutMs) throws InterruptedException {
        return api.waitFor(path, field, value, timeoutMs);
    }

    @Test
    void recordingRtmpAndHlsAtOnceEachStartedAndEndedAlone() throws Exception {
        try (Roomcast node = TestNode.start(data); WebhookReceiver hooks = new WebhookReceiver()) {
            Api api = new Api(node.httpPort(), Tokens.admin());
            String room = api.post("/v2/rooms", new JsonObject().put("webhook", new JsonObject().put("url", hooks.url())))
                    .json().getString("roomId");
            String session = join(api, room, "ann", 11, 12, "vp8");
            join(api, room, "ben", 21, 22, "h264");
            int rtmpPort = freePort();
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

                waitFor(api, "/v2/recordings/" + recId, "status", "started", 10_000);
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
                var cors = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(live))
                        .header("Origin", "https://viewer.example").build(), java.net.http.HttpResponse.BodyHandlers.ofString());
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

                JsonObject done = waitFor(api, "/v2/recordings/" + recId, "status", "stopped", 30_000);
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
                waitFor(api, "/v2/hls?roomId=" + room, "status", "stopped", 15_000);
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

    @Test
    void rtmpServerRestartIsSurvivedAndTheRecordingNeverNotices() throws Exception {
        try (Roomcast node = TestNode.start(data)) {
            Api api = new Api(node.httpPort(), Tokens.admin());
            String room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
            join(api, room, "ann", 31, 32, "vp8");
            int rtmpPort = freePort();
            try (RtpSender a = RtpSender.opus(node.rtpPort(), 31, 111);
                 RtpSender v = RtpSender.video(node.rtpPort(), 32, 96, "vp8", 640, 360).talkingHead()) {
                a.startTestSignal(16);
                v.startTestSignal(16);
                Media.RtmpListener first = new Media.RtmpListener(rtmpPort, "live/k1");
                String recId = api.post("/v2/recordings/start", new JsonObject().put("roomId", room).put("preset", "grid-360p"))
                        .json().getString("id");
                long recStart = System.nanoTime();
                assertEquals(200, api.post("/v2/livestreams/start", new JsonObject().put("roomId", room).put("preset", "grid-360p")
                        .put("outputs", new JsonArray().add(new JsonObject().put("url", "rtmp://127.0.0.1:" + rtmpPort + "/live/k1")))).status());
                long deadline = System.currentTimeMillis() + 10_000;
                while (first.videoFrames() < 50 && System.currentTimeMillis() < deadline) Thread.sleep(100);
                assertTrue(first.videoFrames() >= 50, "first server got " + first.videoFrames());
                first.close(); // the server goes away
                String status = "";
                deadline = System.currentTimeMillis() + 10_000;
                while (!status.equals("reconnecting") && System.currentTimeMillis() < deadline) {
                    status = destination(api, room).getString("status");
                    Thread.sleep(50);
                }
                assertEquals("reconnecting", status);
                Thread.sleep(1500);
                try (Media.RtmpListener second = new Media.RtmpListener(rtmpPort, "live/k1")) {
                    deadline = System.currentTimeMillis() + 20_000;
                    while (second.videoFrames() < 50 && System.currentTimeMillis() < deadline) Thread.sleep(100);
                    assertTrue(second.videoFrames() >= 50, "the push resumed to the restarted server: " + second.videoFrames());
                    JsonObject d = destination(api, room);
                    assertEquals("started", d.getString("status"), d.encode());
                    assertTrue(d.getLong("reconnects") >= 1, d.encode());
                    assertEquals("started", api.get("/v2/recordings/" + recId).json().getString("status"));
                    api.post("/v2/livestreams/end", new JsonObject().put("roomId", room));
                    assertEquals(200, api.post("/v2/recordings/end", new JsonObject().put("roomId", room)).status());
                }
                double seconds = (System.nanoTime() - recStart) / 1e9;
                JsonObject done = waitFor(api, "/v2/recordings/" + recId, "status", "stopped", 30_000);
                Media.Probe p = Media.probe(Media.download(done.getJsonObject("file").getString("fileUrl"),
                        downloads.resolve("r.mp4")).toString());
                assertTrue(Math.abs(p.seconds() - seconds) < 0.5, p.seconds() + " s recorded of " + seconds);
                assertTrue(p.videoFrames() >= (seconds - 0.6) * 25, "no gap in the recording: " + p);
            }
        }
    }

    static JsonObject destination(Api api, String room) {
        return api.get("/v2/livestreams?roomId=" + room).json().getJsonArray("data").getJsonObject(0)
                .getJsonArray("outputs").getJsonObject(0);
    }

    @Test
    void audioOnlyRecordingIsAnM4aAndStopsWithTheSession() throws Exception {
        try (Roomcast node = TestNode.start(data)) {
            Api api = new Api(node.httpPort(), Tokens.admin());
            String room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
            String session = join(api, room, "cy", 41, 0, "vp8");
            try (RtpSender a = RtpSender.opus(node.rtpPort(), 41, 111)) {
                a.startTestSignal(6);
                Api.Response r = api.post("/v2/recordings/start", new JsonObject().put("roomId", room)
                        .put("awsDirPath", "customer-7/calls").put("config", new JsonObject().put("mode", "audio")));
                assertEquals(200, r.status(), r.body());
                String id = r.json().getString("id");
                a.join();
                assertEquals(200, api.post("/v2/sessions/end", new JsonObject().put("roomId", room)).status());
                JsonObject done = waitFor(api, "/v2/recordings/" + id, "status", "stopped", 30_000);
                JsonObject file = done.getJsonObject("file");
                assertEquals("customer-7/calls/recordings/" + room + "/" + session + "/" + id + ".m4a", file.getString("filePath"));
                assertEquals("audio/mp4", file.getString("type"));
                Media.Probe p = Media.probe(Media.download(file.getString("fileUrl"), downloads.resolve("a.m4a")).toString());
                assertEquals("aac", p.audioCodec());
                assertEquals(0, p.videoFrames());
                assertTrue(p.seconds() > 4 && p.seconds() < 8, p.toString());
                assertEquals(1, api.get("/v2/recordings?roomId=" + room + "&sessionId=" + session).json().getJsonArray("data").size());
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
        try (Roomcast node = TestNode.start(data)) {
            Api api = new Api(node.httpPort(), Tokens.admin());
            String room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
            join(api, room, "dee", 51, 52, "vp8");
            try (RtpSender a = RtpSender.opus(node.rtpPort(), 51, 111);
                 RtpSender v = RtpSender.browserVideo(node.rtpPort(), 52, 96, "vp8", 640, 360, true).talkingHead()) {
                a.startTestSignal(14);
                v.startTestSignal(14);
                String rec = api.post("/v2/recordings/start", new JsonObject().put("roomId", room)
                        .put("config", new JsonObject().put("mode", "audio"))).json().getString("id");
                waitFor(api, "/v2/recordings/" + rec, "status", "started", 10_000);
                Thread.sleep(3000);
                JsonObject before = api.trackStats(room, "dee", "video");
                // Decoded only until the sender has shown that it answers keyframe requests (a frame or two).
                assertEquals("answered", before.getString("keyframeResponse"), before.encode());
                assertTrue(before.getLong("framesDecoded") <= 5, "an audio-only recording needs no pictures: " + before);
                assertTrue(before.getLong("framesNotDecoded") >= 50, before.encode());

                assertEquals(200, api.post("/v2/hls/start", new JsonObject().put("roomId", room).put("preset", "grid-360p")).status());
                waitFor(api, "/v2/hls?roomId=" + room, "status", "started", 10_000);
                Thread.sleep(5000);
                JsonObject during = api.trackStats(room, "dee", "video");
                assertTrue(during.getLong("framesDecoded") >= 60, "decoded while the HLS shows video: " + during);
                assertTrue(during.getLong("keyframeRequests") >= 1, during.encode());
                assertEquals(200, api.post("/v2/hls/end", new JsonObject().put("roomId", room)).status());
                JsonObject h = waitFor(api, "/v2/hls?roomId=" + room, "status", "stopped", 15_000);
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
    }

    @Test
    void aDestinationThatNeverAnswersFailsAloneWithAReason() throws Exception {
        java.util.Map<String, Object> cfg = TestNode.defaults(data);
        cfg.put("outputs.rtmpConnectTimeoutMs", 2000);
        try (Roomcast node = TestNode.start(cfg); WebhookReceiver hooks = new WebhookReceiver()) {
            Api api = new Api(node.httpPort(), Tokens.admin());
            String room = api.post("/v2/rooms", new JsonObject().put("webhook", new JsonObject().put("url", hooks.url())))
                    .json().getString("roomId");
            join(api, room, "dee", 61, 0, "vp8"); // no camera: a placeholder tile
            try (RtpSender a = RtpSender.opus(node.rtpPort(), 61, 111)) {
                a.startTestSignal(8);
                String recId = api.post("/v2/recordings/start", new JsonObject().put("roomId", room).put("preset", "grid-360p"))
                        .json().getString("id");
                int closed = freePort();
                api.post("/v2/livestreams/start", new JsonObject().put("roomId", room).put("preset", "grid-360p")
                        .put("outputs", new JsonArray().add(new JsonObject().put("url", "rtmp://127.0.0.1:" + closed + "/live/x"))));
                long deadline = System.currentTimeMillis() + 15_000;
                JsonObject d = destination(api, room);
                while (!d.getString("status").equals("failed") && System.currentTimeMillis() < deadline) {
                    Thread.sleep(200);
                    d = destination(api, room);
                }
                assertEquals("failed", d.getString("status"), d.encode());
                assertTrue(d.getString("reason").contains("could not connect"), d.encode());
                assertEquals("started", api.get("/v2/recordings/" + recId).json().getString("status"), "the recording goes on");
                Thread.sleep(1000);
                api.post("/v2/recordings/end", new JsonObject().put("roomId", room));
                JsonObject done = waitFor(api, "/v2/recordings/" + recId, "status", "stopped", 30_000);
                Media.Probe p = Media.probe(Media.download(done.getJsonObject("file").getString("fileUrl"), downloads.resolve("f.mp4")).toString());
                assertTrue(p.seconds() > 3, p.toString());
            }
            List<String> types = hooks.deliveries().stream().map(WebhookReceiver.Delivery::type).toList();
            assertTrue(types.contains("livestream-failed") && types.contains("recording-stopped"), types.toString());
        }
    }

    @Test
    void playlistsFollowTheHlsRules() {
        List<HlsStream.Segment> segs = List.of(new HlsStream.Segment(1, 2.0, "2026-01-01T00:00:00Z"),
                new HlsStream.Segment(2, 2.52, "2026-01-01T00:00:02Z"), new HlsStream.Segment(3, 1.96, "2026-01-01T00:00:04.520Z"));
        String live = HlsStream.playlist(segs, 1, 3, false, false);
        assertTrue(live.startsWith("#EXTM3U\n"));
        assertTrue(live.contains("#EXT-X-MEDIA-SEQUENCE:2\n"), live);
        assertTrue(!live.contains("seg-00001.ts") && !live.contains("ENDLIST"), live);
        String vod = HlsStream.playlist(segs, 0, 3, true, true);
        assertTrue(vod.contains("#EXT-X-PLAYLIST-TYPE:VOD") && vod.trim().endsWith("#EXT-X-ENDLIST"), vod);
        int target = Integer.parseInt(vod.replaceAll("(?s).*#EXT-X-TARGETDURATION:(\\d+).*", "$1"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("#EXTINF:([0-9.]+),").matcher(vod);
        int n = 0;
        while (m.find()) {
            n++;
            assertTrue(Math.round(Double.parseDouble(m.group(1))) <= target, "EXTINF " + m.group(1) + " > TARGETDURATION " + target);
        }
        assertEquals(3, n);
        assertEquals(3, vod.split("#EXT-X-PROGRAM-DATE-TIME:", -1).length - 1);
    }

    /**
     * A flash-and-beep source (a white frame and a 1 kHz beep every 2 s, sent as separate RTP
     * streams as an SFU forwards them) recorded; in the MP4 each beep starts within 40 ms of its flash.
     */
    @Test
    void flashAndBeepStayTogetherInTheRecording() throws Exception {
        try (Roomcast node = TestNode.start(data)) {
            Api api = new Api(node.httpPort(), Tokens.admin());
            String room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
            join(api, room, "sync", 81, 82, "vp8");
            short[] beeps = new short[48000 * 13];
            for (int i = 0; i < beeps.length; i++) {
                int inPeriod = i % 96000;
                if (inPeriod >= 48000 && inPeriod < 48000 + 4800) beeps[i] = (short) (12000 * Math.sin(2 * Math.PI * 1000 * i / 48000.0));
            }
            String recId = api.post("/v2/recordings/start", new JsonObject().put("roomId", room).put("preset", "grid-360p"))
                    .json().getString("id");
            // Both senders' RTCP reports date their first sample at the instant both start: a source
            // whose own A/V timing is exact, so what is measured is the pipeline's.
            long t0 = System.currentTimeMillis() * 1000 + 500_000;
            try (RtpSender v = RtpSender.video(node.rtpPort(), 82, 96, "vp8", 640, 360, t0).flashes();
                 RtpSender a = RtpSender.opus(node.rtpPort(), 81, 111, t0)) {
                a.startingAt(t0).startSamples(beeps, 48000);
                v.startingAt(t0).startTestSignal(13);
                a.join();
                v.join();
            }
            api.post("/v2/recordings/end", new JsonObject().put("roomId", room));
            JsonObject done = waitFor(api, "/v2/recordings/" + recId, "status", "stopped", 30_000);
            Path mp4 = Media.download(done.getJsonObject("file").getString("fileUrl"), downloads.resolve("sync.mp4"));
            java.nio.file.Files.copy(mp4, Path.of("target/flash-and-beep.mp4"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            List<Double> flashes = new java.util.ArrayList<>();
            List<Double> onsets = new java.util.ArrayList<>();
            try (org.bytedeco.javacv.FFmpegFrameGrabber g = new org.bytedeco.javacv.FFmpegFrameGrabber(mp4.toString())) {
                g.setSampleMode(org.bytedeco.javacv.FrameGrabber.SampleMode.SHORT);
                g.setPixelFormat(org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_GRAY8);
                g.start();
                org.bytedeco.javacv.Frame f;
                boolean lit = false;
                double lastLoud = -1;
                while ((f = g.grabFrame(true, true, true, false)) != null) {
                    if (f.image != null) {
                        java.nio.ByteBuffer b = (java.nio.ByteBuffer) f.image[0];
                        int centre = b.get(f.imageHeight / 2 * f.imageStride + f.imageWidth / 2) & 0xff;
                        if (centre > 150 && !lit) flashes.add(f.timestamp / 1e6);
                        lit = centre > 150;
                    }
                    if (f.samples != null) {
                        java.nio.ShortBuffer sb = (java.nio.ShortBuffer) f.samples[0];
                        int channels = f.audioChannels;
                        int n = sb.limit() / channels;
                        for (int i = 0; i < n; i++) {
                            if (Math.abs(sb.get(i * channels)) <= 3000) continue;
                            double t = f.timestamp / 1e6 + i / 48000.0;
                            if (lastLoud < 0 || t - lastLoud > 0.3) onsets.add(t);
                            lastLoud = t;
                        }
                    }
                }
            }
            assertTrue(flashes.size() >= 5, "flashes " + flashes);
            // FFmpeg's senders report (RTCP SR) before their first packet; that report places each track
            // by the sender's clock from the first flash on.
            int matched = 0;
            for (double fl : flashes) {
                double nearest = onsets.stream().min(java.util.Comparator.comparingDouble(o -> Math.abs(o - fl))).orElse(1e9);
                assertTrue(Math.abs(nearest - fl) <= 0.040, "flash at " + fl + " s, beep at " + nearest + " s; flashes "
                        + flashes + " beeps " + onsets);
                matched++;
            }
            assertEquals(flashes.size(), matched);
            System.out.println("A/V flashes " + flashes + " beeps " + onsets);
        }
    }


    /** SPOTLIGHT with priority PIN follows POST /layout mid-recording, without a break in the file. */
    @Test
    void pinningSwitchesTheSpotlightMidRecording() throws Exception {
        try (Roomcast node = TestNode.start(data)) {
            Api api = new Api(node.httpPort(), Tokens.admin());
            String room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
            join(api, room, "ann", 91, 92, "vp8");
            join(api, room, "ben", 93, 94, "vp8");
            try (RtpSender av = RtpSender.video(node.rtpPort(), 92, 96, "vp8", 640, 360).flashes();
                 RtpSender bv = RtpSender.video(node.rtpPort(), 94, 96, "vp8", 640, 360).talkingHead()) {
                av.startTestSignal(9);
                bv.startTestSignal(9);
                JsonObject pin = api.post("/v2/rooms/" + room + "/layout", new JsonObject().put("pin", "ann")).json();
                assertEquals("ann", pin.getString("pin"));
                String id = api.post("/v2/recordings/start", new JsonObject().put("roomId", room).put("preset", "spotlight-720p")
                        .put("config", new JsonObject().put("quality", "low").put("layout", new JsonObject().put("priority", "PIN"))))
                        .json().getString("id");
                JsonObject started = waitFor(api, "/v2/recordings/" + id, "status", "started", 10_000);
                Thread.sleep(3000);
                api.post("/v2/rooms/" + room + "/layout", new JsonObject().put("pin", "ben"));
                // Where the switch lands in the file: the recording's own start, not when "started" was seen.
                double pinnedAt = (System.currentTimeMillis() - Instant.parse(started.getString("start")).toEpochMilli()) / 1000.0;
                Thread.sleep(3000);
                api.post("/v2/recordings/end", new JsonObject().put("roomId", room));
                JsonObject done = waitFor(api, "/v2/recordings/" + id, "status", "stopped", 30_000);
                Path mp4 = Media.download(done.getJsonObject("file").getString("fileUrl"), downloads.resolve("pin.mp4"));
                double early = cornerLuma(mp4, 1.5);
                double late = cornerLuma(mp4, pinnedAt + 1.5);
                assertTrue(early < 40, "Ann's dark picture fills the spotlight first: " + early);
                assertTrue(late > 50, "then Ben's, 1.5 s after the switch at " + pinnedAt + " s: " + late);
                Media.Probe p = Media.probe(mp4.toString());
                assertTrue(p.videoFrames() >= (p.seconds() - 0.2) * 25, "no frame lost at the switch: " + p);
            }
        }
    }

    /** Median over the second from {@code atSeconds} of the mean luma (full range) of the picture's top-left area. */
    static double cornerLuma(Path mp4, double atSeconds) throws Exception {
        List<Double> means = new java.util.ArrayList<>();
        try (org.bytedeco.javacv.FFmpegFrameGrabber g = new org.bytedeco.javacv.FFmpegFrameGrabber(mp4.toString())) {
            g.setPixelFormat(org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_GRAY8);
            g.start();
            org.bytedeco.javacv.Frame f;
            while ((f = g.grabImage()) != null && f.timestamp < (atSeconds + 1) * 1e6) {
                if (f.timestamp < atSeconds * 1e6) continue;
                java.nio.ByteBuffer b = (java.nio.ByteBuffer) f.image[0];
                long sum = 0;
                for (int y = 40; y < 100; y++) for (int x = 40; x < 140; x++) sum += b.get(y * f.imageStride + x) & 0xff;
                means.add(sum / 6000.0);
            }
        }
        if (means.isEmpty()) throw new AssertionError("no picture at " + atSeconds + " s");
        means.sort(null);
        return means.get(means.size() / 2);
    }

    /** A participant drops for 3 s and comes back: the recording and HLS carry on, one file, no gap. */
    @Test
    void aParticipantDroppingForSecondsNeverEndsAnOutput() throws Exception {
        try (Roomcast node = TestNode.start(data)) {
            Api api = new Api(node.httpPort(), Tokens.admin());
            String room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
            join(api, room, "fay", 501, 502, "vp8");
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
            JsonObject done = waitFor(api, "/v2/recordings/" + rec, "status", "stopped", 30_000);
            Media.Probe p = Media.probe(Media.download(done.getJsonObject("file").getString("fileUrl"), downloads.resolve("d.mp4")).toString());
            assertTrue(Math.abs(p.seconds() - seconds) < 1.0, p.seconds() + " s of " + seconds);
            assertTrue(p.videoFrames() >= (p.seconds() - 0.5) * 25, "pictures all along, the gap included: " + p);
            JsonObject h = waitFor(api, "/v2/hls?roomId=" + room, "status", "stopped", 15_000); // the newest stream, on top
            assertEquals(hls, h.getString("id"));
            assertEquals("stopped", h.getString("status"));
            assertTrue(h.getInteger("segments") >= (int) (seconds / 2) - 1, "segments all along: " + h.encode());
        }
    }

    /** 5 % loss, 2 % reordering and delays on every track: the recording and HLS stay continuous. */
    @Test
    void packetLossNeverBreaksTheRecordingOrHls() throws Exception {
        try (Roomcast node = TestNode.start(data)) {
            Api api = new Api(node.httpPort(), Tokens.admin());
            String room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
            join(api, room, "gus", 601, 602, "vp8");
            String rec = api.post("/v2/recordings/start", new JsonObject().put("roomId", room).put("preset", "grid-360p"))
                    .json().getString("id");
            api.post("/v2/hls/start", new JsonObject().put("roomId", room).put("preset", "grid-360p"));
            long t0 = System.nanoTime();
            try (io.roomcast.support.LossyRelay relay = new io.roomcast.support.LossyRelay(node.rtpPort());
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
            JsonObject done = waitFor(api, "/v2/recordings/" + rec, "status", "stopped", 30_000);
            Media.Probe p = Media.probe(Media.download(done.getJsonObject("file").getString("fileUrl"), downloads.resolve("l.mp4")).toString());
            assertTrue(Math.abs(p.seconds() - seconds) < 0.7, p.seconds() + " s of " + seconds);
            assertTrue(p.videoFrames() >= (p.seconds() - 0.5) * 25, "a picture for every frame time despite the loss: " + p);
            assertTrue(p.audioFrames() >= (p.seconds() - 0.5) * 46, "continuous audio: " + p);
            JsonObject h = waitFor(api, "/v2/hls?roomId=" + room, "status", "stopped", 15_000); // the newest stream, on top
            Media.Probe vod = Media.probe(h.getString("playbackHlsUrl"));
            assertTrue(vod.videoFrames() >= (p.seconds() - 1.5) * 25, "the HLS VOD plays through: " + vod);
        }
    }

    /**
     * A session whose only participant sends nothing (no tracks at all): outputs still reach
     * started within seconds, carry placeholder pictures and silence, and end cleanly.
     */
    @Test
    void aSessionWithNoTracksStartsAndEndsOutputsCleanly() throws Exception {
        try (Roomcast node = TestNode.start(data)) {
            Api api = new Api(node.httpPort(), Tokens.admin());
            String room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
            assertEquals(200, api.post("/v2/rooms/" + room + "/participants", new JsonObject().put("participantId", "nat")
                    .put("name", "Nat Empty").put("tracks", new JsonArray())).status());
            String rec = api.post("/v2/recordings/start", new JsonObject().put("roomId", room).put("preset", "grid-360p"))
                    .json().getString("id");
            assertEquals(200, api.post("/v2/hls/start", new JsonObject().put("roomId", room).put("preset", "grid-360p")).status());
            waitFor(api, "/v2/recordings/" + rec, "status", "started", 10_000);
            waitFor(api, "/v2/hls?roomId=" + room, "status", "started", 10_000);
            long t0 = System.nanoTime();
            Thread.sleep(4000);
            assertEquals(200, api.post("/v2/recordings/end", new JsonObject().put("roomId", room)).status());
            assertEquals(200, api.post("/v2/hls/end", new JsonObject().put("roomId", room)).status());
            double seconds = (System.nanoTime() - t0) / 1e9;
            JsonObject done = waitFor(api, "/v2/recordings/" + rec, "status", "stopped", 30_000);
            Media.Probe p = Media.probe(Media.download(done.getJsonObject("file").getString("fileUrl"), downloads.resolve("n.mp4")).toString());
            assertEquals("h264", p.videoCodec());
            assertEquals("aac", p.audioCodec());
            assertTrue(p.seconds() >= seconds - 0.5 && p.videoFrames() >= (seconds - 0.5) * 25, "placeholder pictures all along: " + p);
            JsonObject h = waitFor(api, "/v2/hls?roomId=" + room, "status", "stopped", 15_000);
            assertTrue(Media.probe(h.getString("playbackHlsUrl")).videoFrames() > 50, "the HLS VOD plays");
        }
    }

    /** Outputs per room are bounded by config: one too many gets 429 with a JSON error. */
    @Test
    void outputsPerRoomAreBounded() throws Exception {
        java.util.Map<String, Object> cfg = TestNode.defaults(data);
        cfg.put("limits.maxOutputsPerRoom", 2);
        try (Roomcast node = TestNode.start(cfg)) {
            Api api = new Api(node.httpPort(), Tokens.admin());
            String room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
            join(api, room, "hal", 701, 0, "vp8");
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
