package io.roomcast.output.recording;

import io.roomcast.Roomcast;
import io.roomcast.support.Api;
import io.roomcast.support.Media;
import io.roomcast.support.NodeExtension;
import io.roomcast.support.Participants;
import io.roomcast.support.RtpSender;
import io.roomcast.support.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ShortBuffer;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * VideoSDK's participant and track recordings, read back with FFmpeg: one participant's own MP4
 * (their camera and only their voice), their camera and microphone copied into WebM, and single
 * tracks copied into WebM without re-encoding.
 */
class ParticipantRecordingTest {
    @RegisterExtension
    final NodeExtension fresh = new NodeExtension();
    Roomcast node;
    Api api;
    @TempDir
    Path downloads;

    /**
     * Ann sends a camera and a tone, Ben only joins (no media). Ann's participant recording is her
     * camera and her tone; Ben's, made at the same time, is his placeholder and silence: nobody
     * else's picture or voice is in a participant's file.
     */
    @Test
    void aParticipantsOwnMp4HasOnlyTheirCameraAndVoice() throws Exception {
        String room = api.createRoom();
        Participants.join(api, room, "ann", 11, 12, "vp8");
        Participants.join(api, room, "ben", 13, 14, "vp8");
        try (RtpSender v = RtpSender.video(node.rtpPort(), 12, 96, "vp8", 640, 360).talkingHead();
             RtpSender a = RtpSender.opus(node.rtpPort(), 11, 111)) {
            v.startTestSignal(9);
            a.startTestSignal(9);
            JsonObject cfg = new JsonObject().put("quality", "low");
            Api.Response ann = api.post("/v2/recordings/participant/start", new JsonObject().put("roomId", room)
                    .put("participantId", "ann").put("preset", "spotlight-720p").put("config", cfg));
            assertEquals(200, ann.status(), ann.body());
            assertEquals("ann", ann.json().getString("participantId"));
            Api.Response ben = api.post("/v2/recordings/participant/start", new JsonObject().put("roomId", room)
                    .put("participantId", "ben").put("preset", "spotlight-720p").put("config", cfg));
            assertEquals(200, ben.status(), ben.body());
            Api.Response again = api.post("/v2/recordings/participant/start", new JsonObject().put("roomId", room)
                    .put("participantId", "ann"));
            assertEquals(409, again.status(), again.body());
            assertEquals(404, api.post("/v2/recordings/participant/start", new JsonObject().put("roomId", room)
                    .put("participantId", "nobody")).status());
            // The room's own recording is not in the way of a participant's.
            assertEquals(200, api.post("/v2/recordings/start", new JsonObject().put("roomId", room)
                    .put("config", cfg)).status());
            String annId = ann.json().getString("id");
            String benId = ben.json().getString("id");
            api.waitFor("/v2/recordings/" + annId, "status", "started", 10_000);
            Thread.sleep(5000);
            assertEquals(200, api.post("/v2/recordings/participant/stop", new JsonObject().put("roomId", room)
                    .put("participantId", "ann")).status());
            assertEquals(200, api.post("/v2/recordings/participant/stop", new JsonObject().put("roomId", room)
                    .put("participantId", "ben")).status());
            JsonObject annDone = api.waitFor("/v2/recordings/" + annId, "status", "stopped", 30_000);
            JsonObject benDone = api.waitFor("/v2/recordings/" + benId, "status", "stopped", 30_000);
            JsonObject meta = annDone.getJsonObject("file").getJsonObject("meta");
            assertEquals(640, meta.getJsonObject("resolution").getInteger("width"), annDone.encode());
            assertEquals(360, meta.getJsonObject("resolution").getInteger("height"));

            Path annMp4 = Media.download(annDone.getJsonObject("file").getString("fileUrl"), downloads.resolve("ann.mp4"));
            Path benMp4 = Media.download(benDone.getJsonObject("file").getString("fileUrl"), downloads.resolve("ben.mp4"));
            Media.Probe p = Media.probe(annMp4.toString());
            assertEquals("h264", p.videoCodec(), p.toString());
            assertEquals("aac", p.audioCodec(), p.toString());
            assertTrue(p.seconds() > 3.5 && p.seconds() < 8, p.toString());
            assertTrue(p.videoFrames() >= (p.seconds() - 0.2) * 25, "a picture every frame time: " + p);
            assertTrue(RecordingTest.cornerLuma(annMp4, 1.5) > 50, "Ann's camera fills her file");
            assertTrue(RecordingTest.cornerLuma(benMp4, 1.5) < 40, "Ben's file is his placeholder, not Ann's camera");
            double annLevel = rms(annMp4);
            double benLevel = rms(benMp4);
            assertTrue(annLevel > 1000, "Ann's tone is in her file: " + annLevel);
            assertTrue(benLevel < 50, "Ann's tone is not in Ben's file: " + benLevel);

            JsonArray listed = api.get("/v2/recordings/participant?roomId=" + room).json().getJsonArray("data");
            assertEquals(2, listed.size(), listed.encode());
            assertEquals(1, api.get("/v2/recordings/participant?roomId=" + room + "&participantId=ben").json()
                    .getJsonArray("data").size());
            JsonArray composites = api.get("/v2/recordings?roomId=" + room).json().getJsonArray("data");
            assertEquals(1, composites.size(), "the room's list holds its composite only: " + composites.encode());
            assertNull(composites.getJsonObject(0).getString("participantId"));
        }
    }

    /**
     * Track recordings copy the sender's own frames: VP8 in WebM at the camera's size, Opus in WebM,
     * and a participant's WebM recording with both. Nothing is decoded or encoded for them.
     */
    @Test
    void tracksAreCopiedIntoWebmWithoutReencoding() throws Exception {
        WebhookReceiver hooks = new WebhookReceiver();
        try (hooks) {
            String room = api.post("/v2/rooms", new JsonObject().put("webhook", new JsonObject().put("endPoint", hooks.url())
                    .put("events", new JsonArray().add("participant-track-recording-*").add("participant-recording-*"))))
                    .json().getString("roomId");
            Participants.join(api, room, "cy", 21, 22, "vp8");
            try (RtpSender v = RtpSender.video(node.rtpPort(), 22, 96, "vp8", 640, 360).talkingHead();
                 RtpSender a = RtpSender.opus(node.rtpPort(), 21, 111)) {
                v.startTestSignal(9);
                a.startTestSignal(9);
                JsonObject base = new JsonObject().put("roomId", room).put("participantId", "cy");
                Api.Response video = api.post("/v2/recordings/participant/track/start", base.copy().put("kind", "video"));
                assertEquals(200, video.status(), video.body());
                Api.Response audio = api.post("/v2/recordings/participant/track/start", base.copy().put("kind", "audio")
                        .put("fileFormat", "webm").put("bucketDirPath", "tenant-3"));
                assertEquals(200, audio.status(), audio.body());
                Api.Response both = api.post("/v2/recordings/participant/start", base.copy().put("fileFormat", "webm"));
                assertEquals(200, both.status(), both.body());
                assertEquals(400, api.post("/v2/recordings/participant/track/start", base.copy().put("kind", "screen_audio")).status());
                assertEquals(409, api.post("/v2/recordings/participant/track/start", base.copy().put("kind", "screen_video")).status());
                assertEquals(409, api.post("/v2/recordings/participant/track/start", base.copy().put("kind", "video")).status());
                api.waitFor("/v2/recordings/" + video.json().getString("id"), "status", "started", 10_000);
                Thread.sleep(5000);
                String metrics = api.get("/metrics").body();
                assertEquals(0.0, Api.metric(metrics, "roomcast_encoders_running"), "no encoder runs for copies");
                assertEquals(200, api.post("/v2/recordings/participant/track/stop", base.copy().put("kind", "video")).status());
                assertEquals(200, api.post("/v2/recordings/participant/track/stop", base.copy().put("kind", "audio")).status());
                assertEquals(200, api.post("/v2/recordings/participant/stop", base).status());
            }
            JsonObject v = api.waitFor("/v2/recordings/" + hooksId(hooks, "video"), "status", "stopped", 30_000);
            Media.Probe pv = Media.probe(Media.download(v.getJsonObject("file").getString("fileUrl"), downloads.resolve("v.webm")).toString());
            assertEquals("vp8", pv.videoCodec(), pv.toString());
            assertEquals(null, pv.audioCodec(), pv.toString());
            assertEquals(640, pv.width());
            assertEquals(360, pv.height());
            assertTrue(pv.seconds() > 3.5 && pv.seconds() < 8, pv.toString());
            assertTrue(pv.videoFrames() >= (pv.lastVideoSeconds() - pv.firstVideoSeconds()) * 24, "every frame the camera sent: " + pv);
            assertEquals("video", v.getString("kind"));
            assertEquals("video/webm", v.getJsonObject("file").getString("type"));

            JsonObject a = api.waitFor("/v2/recordings/" + hooksId(hooks, "audio"), "status", "stopped", 30_000);
            assertTrue(a.getJsonObject("file").getString("filePath").startsWith("tenant-3/recordings/"), a.encode());
            Media.Probe pa = Media.probe(Media.download(a.getJsonObject("file").getString("fileUrl"), downloads.resolve("a.webm")).toString());
            assertEquals("opus", pa.audioCodec(), pa.toString());
            assertEquals(null, pa.videoCodec(), pa.toString());
            assertTrue(pa.seconds() > 3.5 && pa.seconds() < 8, pa.toString());

            JsonObject both = api.get("/v2/recordings/participant?roomId=" + room).json().getJsonArray("data").getJsonObject(0);
            both = api.waitFor("/v2/recordings/" + both.getString("id"), "status", "stopped", 30_000);
            Path webm = Media.download(both.getJsonObject("file").getString("fileUrl"), downloads.resolve("both.webm"));
            Media.Probe pb = Media.probe(webm.toString());
            assertEquals("vp8", pb.videoCodec(), pb.toString());
            assertEquals("opus", pb.audioCodec(), pb.toString());
            assertTrue(rms(webm) > 1000, "the tone is in the participant's WebM");
            assertEquals(2, api.get("/v2/recordings/participant/track?roomId=" + room).json().getJsonArray("data").size());
            assertTrue(hooks.await("participant-track-recording-stopped", 2, 10_000).size() >= 2);
            assertTrue(hooks.await("participant-recording-stopped", 1, 10_000).size() >= 1);
        }
    }

    /** The id of the track recording of that kind, from its started webhook. */
    private static String hooksId(WebhookReceiver hooks, String kind) {
        return hooks.await("participant-track-recording-started", 2, 10_000).stream()
                .map(d -> d.json().getJsonObject("data")).filter(d -> kind.equals(d.getString("kind")))
                .findFirst().orElseThrow().getString("id");
    }

    /** Root mean square of the first channel over the whole file. */
    static double rms(Path file) throws Exception {
        double sum = 0;
        long n = 0;
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(file.toString())) {
            g.setSampleMode(FrameGrabber.SampleMode.SHORT);
            g.start();
            Frame f;
            while ((f = g.grabSamples()) != null) {
                ShortBuffer sb = (ShortBuffer) f.samples[0];
                int channels = f.audioChannels;
                for (int i = 0; i < sb.limit() / channels; i++) {
                    double s = sb.get(i * channels);
                    sum += s * s;
                    n++;
                }
            }
        }
        return n == 0 ? 0 : Math.sqrt(sum / n);
    }
}
