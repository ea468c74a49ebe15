package io.roomcast.output.recording;

import io.roomcast.Roomcast;
import io.roomcast.support.Api;
import io.roomcast.support.AvMarks;
import io.roomcast.support.Media;
import io.roomcast.support.NodeExtension;
import io.roomcast.support.Participants;
import io.roomcast.support.RtpSender;
import io.roomcast.support.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pause and resume, read back with FFmpeg: the paused stretch is not in the file, the file runs on
 * without a gap or a frozen picture, and picture and sound stay together across the cut, in the
 * room's MP4 and in each participant's own audio file.
 */
class PauseTest {
    @RegisterExtension
    final NodeExtension fresh = new NodeExtension();
    Roomcast node;
    Api api;
    @TempDir
    Path downloads;

    /**
     * A flash with a beep every 2 s (at 1, 3, 5, ... s of the source). Paused from 4 s to 8 s of the
     * source, the file must hold the flashes of 1, 3, 9, 11 and 13 s, still 2 s apart (the cut is the
     * 4 s asked for, to the picture), each with its beep.
     */
    @Test
    void aPausedStretchIsCutOutOfOneContinuousFile() throws Exception {
        try (WebhookReceiver hooks = new WebhookReceiver()) {
            String room = api.post("/v2/rooms", new JsonObject().put("webhook", new JsonObject().put("url", hooks.url())
                    .put("events", new JsonArray().add("recording-*")))).json().getString("roomId");
            Participants.join(api, room, "sync", 81, 82, "vp8");
            assertEquals("not_recording", api.post("/v2/recordings/pause", new JsonObject().put("roomId", room)).errorCode());
            String recId = api.post("/v2/recordings/start", new JsonObject().put("roomId", room).put("preset", "grid-360p"))
                    .json().getString("id");
            long t0 = System.currentTimeMillis() * 1000 + 700_000;
            Instant paused;
            Instant resumed;
            try (RtpSender v = RtpSender.video(node.rtpPort(), 82, 96, "vp8", 640, 360, t0).flashes();
                 RtpSender a = RtpSender.opus(node.rtpPort(), 81, 111, t0)) {
                a.startingAt(t0).startSamples(AvMarks.beeps(15), 48000);
                v.startingAt(t0).startTestSignal(15);
                api.waitFor("/v2/recordings/" + recId, "status", "started", 10_000);
                sleepUntil(t0 + 4_000_000);
                paused = Instant.now();
                Api.Response p = api.post("/v2/recordings/pause", new JsonObject().put("roomId", room));
                assertEquals(200, p.status(), p.body());
                assertEquals("paused", p.json().getString("status"));
                assertEquals("already_paused", api.post("/v2/recordings/pause", new JsonObject().put("roomId", room)).errorCode());
                assertEquals("paused", api.get("/v2/recordings/" + recId).json().getString("status"));
                sleepUntil(t0 + 8_000_000);
                resumed = Instant.now();
                Api.Response r = api.post("/v2/recordings/resume", new JsonObject().put("roomId", room));
                assertEquals(200, r.status(), r.body());
                assertEquals("not_paused", api.post("/v2/recordings/resume", new JsonObject().put("roomId", room)).errorCode());
                a.join();
                v.join();
            }
            api.post("/v2/recordings/end", new JsonObject().put("roomId", room));
            JsonObject done = api.waitFor("/v2/recordings/" + recId, "status", "stopped", 30_000);

            JsonArray pauses = done.getJsonArray("pauses");
            assertEquals(1, pauses.size(), done.encode());
            assertTrue(Math.abs(Duration.between(paused, Instant.parse(pauses.getJsonObject(0).getString("start"))).toMillis()) < 500, pauses.encode());
            assertTrue(Math.abs(Duration.between(resumed, Instant.parse(pauses.getJsonObject(0).getString("end"))).toMillis()) < 500, pauses.encode());
            hooks.await("recording-stopped", 1, 10_000);
            List<String> types = hooks.deliveries().stream().map(WebhookReceiver.Delivery::type).toList();
            assertTrue(types.indexOf("recording-paused") > types.indexOf("recording-started")
                    && types.indexOf("recording-resumed") > types.indexOf("recording-paused"), types.toString());

            Path mp4 = Media.download(done.getJsonObject("file").getString("fileUrl"), downloads.resolve("paused.mp4"));
            Media.Probe probe = Media.probe(mp4.toString());
            double wall = Duration.between(Instant.parse(done.getString("start")), Instant.parse(done.getString("end"))).toMillis() / 1000.0;
            double pausedFor = Duration.between(paused, resumed).toMillis() / 1000.0;
            assertTrue(probe.seconds() < wall - pausedFor + 0.5 && probe.seconds() > wall - pausedFor - 1.5,
                    probe + " for " + wall + " s from start to end with " + pausedFor + " s paused");
            assertTrue(Math.abs(done.getJsonObject("file").getJsonObject("meta").getDouble("duration") - probe.seconds()) < 0.1);

            AvMarks marks = AvMarks.read(mp4);
            System.out.println("PAUSE " + marks);
            assertEquals(5, marks.flashes().size(), "1, 3, 9, 11 and 13 s of the source: " + marks);
            for (int i = 1; i < marks.flashes().size(); i++) {
                double step = marks.flashes().get(i) - marks.flashes().get(i - 1);
                assertTrue(Math.abs(step - 2.0) <= 0.045, "flashes 2 s apart across the cut: " + marks);
            }
            for (double fl : marks.flashes()) {
                assertTrue(Math.abs(marks.nearestBeep(fl) - fl) <= 0.045, "beep with flash at " + fl + ": " + marks);
            }
            assertTrue(AvMarks.longestStep(marks.pictures()) <= 0.045, "no gap or frozen picture: " + marks);
            assertTrue(AvMarks.longestStep(marks.audioFrames()) <= 0.05, "no hole in the sound: " + marks);
            assertTrue(marks.pictures().size() >= (probe.seconds() - 0.2) * 25, "a picture every frame time: " + probe);

            // The participant's own audio file follows the same cut: its beeps line up with the room's.
            JsonObject voice = done.getJsonArray("participantFiles").getJsonObject(0);
            Path webm = downloads.resolve("voice.webm");
            Files.write(webm, node.store().get(voice.getString("filePath")).await().getBytes());
            AvMarks own = AvMarks.read(webm);
            assertEquals(marks.beeps().size(), own.beeps().size(), own + " vs the room's " + marks);
            for (int i = 0; i < own.beeps().size(); i++) {
                assertTrue(Math.abs(own.beeps().get(i) - marks.beeps().get(i)) <= 0.05, own + " vs the room's " + marks);
            }
        }
    }

    private static void sleepUntil(long unixMicros) throws InterruptedException {
        long ms = unixMicros / 1000 - System.currentTimeMillis();
        if (ms > 0) Thread.sleep(ms);
    }
}
