package io.roomcast.output.recording;

import io.roomcast.Roomcast;
import io.roomcast.encode.EncodeGroup;
import io.roomcast.support.Api;
import io.roomcast.support.AvMarks;
import io.roomcast.support.Media;
import io.roomcast.support.NodeExtension;
import io.roomcast.support.Participants;
import io.roomcast.support.RtpSender;
import io.roomcast.support.TestNode;
import io.roomcast.support.Tokens;
import io.vertx.core.json.JsonObject;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Recordings read back with FFmpeg: audio-only files, A/V sync, and the layout followed mid-recording. */
class RecordingTest {
    /** A fresh node for every test, in {@link #node} and {@link #api}. */
    @RegisterExtension
    final NodeExtension fresh = new NodeExtension();
    Roomcast node;
    Api api;
    @TempDir
    Path downloads;

    @Test
    void audioOnlyRecordingIsAnM4aAndStopsWithTheSession() throws Exception {
        String room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
        String session = Participants.join(api, room, "cy", 41, 0, "vp8");
        try (RtpSender a = RtpSender.opus(node.rtpPort(), 41, 111)) {
            a.startTestSignal(6);
            Api.Response r = api.post("/v2/recordings/start", new JsonObject().put("roomId", room)
                    .put("awsDirPath", "customer-7/calls").put("config", new JsonObject().put("mode", "audio")));
            assertEquals(200, r.status(), r.body());
            String id = r.json().getString("id");
            a.join();
            assertEquals(200, api.post("/v2/sessions/end", new JsonObject().put("roomId", room)).status());
            JsonObject done = api.waitFor("/v2/recordings/" + id, "status", "stopped", 30_000);
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

    /**
     * A flash-and-beep source (a white frame and a 1 kHz beep every 2 s, sent as separate RTP
     * streams as an SFU forwards them) recorded; in the MP4 each beep starts within 40 ms of its flash.
     */
    @Test
    void flashAndBeepStayTogetherInTheRecording() throws Exception {
        String room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
        Participants.join(api, room, "sync", 81, 82, "vp8");
        short[] beeps = AvMarks.beeps(13);
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
        JsonObject done = api.waitFor("/v2/recordings/" + recId, "status", "stopped", 30_000);
        Path mp4 = Media.download(done.getJsonObject("file").getString("fileUrl"), downloads.resolve("sync.mp4"));
        Files.copy(mp4, Path.of("target/flash-and-beep.mp4"), StandardCopyOption.REPLACE_EXISTING);
        AvMarks marks = AvMarks.read(mp4);
        assertTrue(marks.flashes().size() >= 5, marks.toString());
        // FFmpeg's senders report (RTCP SR) before their first packet; that report places each track
        // by the sender's clock from the first flash on.
        for (double fl : marks.flashes()) {
            double nearest = marks.nearestBeep(fl);
            assertTrue(Math.abs(nearest - fl) <= 0.040, "flash at " + fl + " s, beep at " + nearest + " s; " + marks);
        }
        System.out.println("A/V " + marks);
    }


    /** SPOTLIGHT with priority PIN follows POST /layout mid-recording, without a break in the file. */
    @Test
    void pinningSwitchesTheSpotlightMidRecording() throws Exception {
        String room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
        Participants.join(api, room, "ann", 91, 92, "vp8");
        Participants.join(api, room, "ben", 93, 94, "vp8");
        try (RtpSender av = RtpSender.video(node.rtpPort(), 92, 96, "vp8", 640, 360).flashes();
             RtpSender bv = RtpSender.video(node.rtpPort(), 94, 96, "vp8", 640, 360).talkingHead()) {
            av.startTestSignal(9);
            bv.startTestSignal(9);
            JsonObject pin = api.post("/v2/rooms/" + room + "/layout", new JsonObject().put("pin", "ann")).json();
            assertEquals("ann", pin.getString("pin"));
            String id = api.post("/v2/recordings/start", new JsonObject().put("roomId", room).put("preset", "spotlight-720p")
                    .put("config", new JsonObject().put("quality", "low").put("layout", new JsonObject().put("priority", "PIN"))))
                    .json().getString("id");
            JsonObject started = api.waitFor("/v2/recordings/" + id, "status", "started", 10_000);
            Thread.sleep(3000);
            api.post("/v2/rooms/" + room + "/layout", new JsonObject().put("pin", "ben"));
            // Where the switch lands in the file: the recording's own start, not when "started" was seen.
            double pinnedAt = (System.currentTimeMillis() - Instant.parse(started.getString("start")).toEpochMilli()) / 1000.0;
            Thread.sleep(3000);
            api.post("/v2/recordings/end", new JsonObject().put("roomId", room));
            JsonObject done = api.waitFor("/v2/recordings/" + id, "status", "stopped", 30_000);
            Path mp4 = Media.download(done.getJsonObject("file").getString("fileUrl"), downloads.resolve("pin.mp4"));
            double early = cornerLuma(mp4, 1.5);
            double late = cornerLuma(mp4, pinnedAt + 1.5);
            assertTrue(early < 40, "Ann's dark picture fills the spotlight first: " + early);
            assertTrue(late > 50, "then Ben's, 1.5 s after the switch at " + pinnedAt + " s: " + late);
            Media.Probe p = Media.probe(mp4.toString());
            assertTrue(p.videoFrames() >= (p.seconds() - 0.2) * 25, "no frame lost at the switch: " + p);
        }
    }

    /**
     * A camera on a machine whose clock is 5 s slow (its RTCP sender reports say so): the reports are
     * not believed, the pictures are placed by arrival and fill the spotlight instead of a placeholder.
     */
    @Test
    void aCameraWhoseClockIsOffStillShows() throws Exception {
        String room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
        Participants.join(api, room, "skew", 97, 98, "vp8");
        long slowClock = System.currentTimeMillis() * 1000 - 5_000_000;
        try (RtpSender v = RtpSender.video(node.rtpPort(), 98, 96, "vp8", 640, 360, slowClock).talkingHead()) {
            v.startTestSignal(8);
            String id = api.post("/v2/recordings/start", new JsonObject().put("roomId", room).put("preset", "spotlight-720p")
                    .put("config", new JsonObject().put("quality", "low"))).json().getString("id");
            api.waitFor("/v2/recordings/" + id, "status", "started", 10_000);
            Thread.sleep(4000);
            JsonObject track = api.get("/v2/rooms/" + room + "/participants/skew/stats").json()
                    .getJsonArray("tracks").getJsonObject(1);
            // Its first report may come before its first packet (FFmpeg's does): that packet then re-anchors.
            assertTrue(track.getLong("senderReportsIgnored") + track.getLong("clockReanchors") >= 1,
                    "the slow clock's reports are not believed: " + track);
            api.post("/v2/recordings/end", new JsonObject().put("roomId", room));
            JsonObject done = api.waitFor("/v2/recordings/" + id, "status", "stopped", 30_000);
            Path mp4 = Media.download(done.getJsonObject("file").getString("fileUrl"), downloads.resolve("skew.mp4"));
            double luma = cornerLuma(mp4, 1.5);
            assertTrue(luma > 50, "the camera fills the spotlight, not the placeholder: " + luma);
        }
    }

    /**
     * Both H.264 paths make the same kind of file with the camera in it: FFmpeg's OpenH264 (every
     * machine has it) and the machine's own libopenh264 (the default where one is installed).
     */
    @ParameterizedTest
    @ValueSource(strings = {"libopenh264", EncodeGroup.SYSTEM_OPENH264})
    void eachH264EncoderRecordsTheCamera(String encoder) throws Exception {
        assumeTrue(!encoder.equals(EncodeGroup.SYSTEM_OPENH264) || EncodeGroup.systemOpenH264Available(), "no libopenh264 here");
        Map<String, Object> o = TestNode.defaults(downloads.resolve("node"));
        o.put("outputs.videoEncoder", encoder);
        try (Roomcast own = TestNode.start(o)) {
            Api a = new Api(own.httpPort(), Tokens.admin());
            String room = a.createRoom();
            Participants.join(a, room, "eve", 95, 96, "vp8");
            try (RtpSender v = RtpSender.video(own.rtpPort(), 96, 96, "vp8", 640, 360).talkingHead();
                 RtpSender s = RtpSender.opus(own.rtpPort(), 95, 111)) {
                v.startTestSignal(7);
                s.startTestSignal(7);
                String id = a.post("/v2/recordings/start", new JsonObject().put("roomId", room).put("preset", "spotlight-720p"))
                        .json().getString("id");
                a.waitFor("/v2/recordings/" + id, "status", "started", 10_000);
                Thread.sleep(4000);
                a.post("/v2/recordings/end", new JsonObject().put("roomId", room));
                JsonObject done = a.waitFor("/v2/recordings/" + id, "status", "stopped", 30_000);
                Path mp4 = Media.download(done.getJsonObject("file").getString("fileUrl"), downloads.resolve(encoder + ".mp4"));
                Media.Probe p = Media.probe(mp4.toString());
                assertEquals("h264", p.videoCodec(), p.toString());
                assertEquals("aac", p.audioCodec(), p.toString());
                assertEquals(1280, p.width(), p.toString());
                assertTrue(p.seconds() > 3 && p.seconds() < 7, p.toString());
                assertTrue(p.videoFrames() >= (p.seconds() - 0.2) * 25, "a picture every frame time: " + p);
                double luma = cornerLuma(mp4, 1.5);
                assertTrue(luma > 50, "the camera fills the spotlight, not an empty tile: " + luma);
            }
        }
    }

    /** Median over the second from {@code atSeconds} of the mean luma (full range) of the picture's top-left area. */
    static double cornerLuma(Path mp4, double atSeconds) throws Exception {
        List<Double> means = new ArrayList<>();
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(mp4.toString())) {
            g.setPixelFormat(avutil.AV_PIX_FMT_GRAY8);
            g.start();
            Frame f;
            while ((f = g.grabImage()) != null && f.timestamp < (atSeconds + 1) * 1e6) {
                if (f.timestamp < atSeconds * 1e6) continue;
                ByteBuffer b = (ByteBuffer) f.image[0];
                long sum = 0;
                for (int y = 40; y < 100; y++) for (int x = 40; x < 140; x++) sum += b.get(y * f.imageStride + x) & 0xff;
                means.add(sum / 6000.0);
            }
        }
        if (means.isEmpty()) throw new AssertionError("no picture at " + atSeconds + " s");
        means.sort(null);
        return means.get(means.size() / 2);
    }
}
