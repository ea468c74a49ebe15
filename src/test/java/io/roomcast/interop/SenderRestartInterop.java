package io.roomcast.interop;

import io.roomcast.Roomcast;
import io.roomcast.support.Api;
import io.roomcast.support.TestNode;
import io.roomcast.support.Tokens;
import io.roomcast.support.Wav;
import io.roomcast.support.Wer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A GStreamer sender (Debian's gst-launch) restarted mid-utterance: the new process sends from a new
 * port with a new sequence and timestamp base on the same SSRC, and is taken back without a new join.
 * The same speech sent without a restart is the baseline; the restart may cost only its own gap.
 */
class SenderRestartInterop {
    @TempDir
    Path data;
    @TempDir
    Path work;

    static final String[] CLIPS = {"s02.wav", "s06.wav", "s20.wav"};

    static void gstOpus(Path wav, long ssrc, int port) throws Exception {
        Process p = new ProcessBuilder(List.of("gst-launch-1.0", "-q", "filesrc", "location=" + wav, "!", "wavparse", "!",
                "audioconvert", "!", "audioresample", "!", "audio/x-raw,rate=48000", "!", "opusenc", "!",
                "rtpopuspay", "pt=111", "ssrc=" + ssrc, "!", "udpsink", "host=127.0.0.1", "port=" + port, "sync=true"))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("gst-launch timed out");
        }
        assertEquals(0, p.exitValue(), "gst-launch exit code");
    }

    @Test
    void aGStreamerSenderRestartedFromANewPortMidUtteranceLosesOnlyTheGap() throws Exception {
        Wav speech = Wav.program(0.5, 1.0, CLIPS);
        Path whole = speech.write(work.resolve("whole.wav"));
        Path first = speech.cut(0, 7.0).write(work.resolve("first.wav")); // mid-way through "ask what you can do"
        Path second = speech.cut(7.0, 1000).write(work.resolve("second.wav"));
        String reference = String.join(" ", Wer.reference(CLIPS[0]), Wer.reference(CLIPS[1]), Wer.reference(CLIPS[2]));
        try (Roomcast node = TestNode.start(data)) {
            Api api = new Api(node.httpPort(), Tokens.admin());
            String room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
            for (String[] p : new String[][] {{"steady", "5101"}, {"restarted", "5201"}}) {
                assertEquals(200, api.post("/v2/rooms/" + room + "/participants", new JsonObject().put("participantId", p[0])
                        .put("name", p[0]).put("tracks", new JsonArray().add(new JsonObject().put("kind", "audio")
                                .put("codec", "opus").put("ssrc", Long.parseLong(p[1])).put("payloadType", 111)))).status());
            }
            assertEquals(200, api.post("/v2/transcription/start", new JsonObject().put("roomId", room)).status());
            Thread steady = new Thread(() -> {
                try {
                    gstOpus(whole, 5101, node.rtpPort());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            steady.start();
            long t0 = System.nanoTime();
            gstOpus(first, 5201, node.rtpPort());
            long gapStart = System.nanoTime();
            gstOpus(second, 5201, node.rtpPort()); // a new process: new source port, new sequence and timestamp base
            steady.join();
            Thread.sleep(2500);
            JsonObject stats = api.trackStats(room, "restarted", "audio");
            String heardSteady = api.finalCaptions(room, "steady");
            String heardRestarted = api.finalCaptions(room, "restarted");
            assertEquals(200, api.post("/v2/transcription/end", new JsonObject().put("roomId", room)).status());
            double werSteady = Wer.rate(reference, heardSteady);
            double werRestarted = Wer.rate(reference, heardRestarted);
            System.out.printf("GStreamer WER %.3f without restart, %.3f with a restart at 7.0 s (first process ran %d ms)%n  %s%n  %s%n  %s%n",
                    werSteady, werRestarted, (gapStart - t0) / 1_000_000, heardSteady, heardRestarted, stats.encode());
            assertEquals(1, stats.getLong("sourceChanges"), stats.encode());
            assertEquals(0, stats.getLong("wrongSource"), "no packet of the restarted process refused: " + stats);
            assertEquals(0, stats.getLong("late"), stats.encode());
            // The gap is gst-launch's own start-up; a word cut in two at the restart may be lost.
            int words = Wer.words(reference).size();
            assertTrue(werRestarted <= werSteady + 3.0 / words, "restart lost more than the gap: " + werRestarted + " vs " + werSteady);
        }
    }
}
