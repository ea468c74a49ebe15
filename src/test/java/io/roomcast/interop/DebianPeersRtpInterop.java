package io.roomcast.interop;

import io.roomcast.Roomcast;
import io.roomcast.support.Api;
import io.roomcast.support.NodeExtension;
import io.roomcast.support.Tracks;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Interop suite (mvn -Pinterop verify; .ci/run installs the peers): RTP from GStreamer's payloaders
 * and from Debian's ffmpeg executable, Opus, VP8 and H.264, into a node's RTP port.
 */
class DebianPeersRtpInterop {
    @RegisterExtension
    static final NodeExtension NODE = NodeExtension.withConfig(o -> {
        o.put("ingest.decodeVideo", "always"); // no outputs run here: the decoders are what is tested
    });
    static Roomcast node;
    static Api api;
    static String join(String participant, long audioSsrc, long videoSsrc, String videoCodec, int videoPt) {
        String room = api.createRoom();
        api.join(room, participant, participant, Tracks.opus(audioSsrc), Tracks.of("video", videoCodec, videoSsrc, videoPt));
        return room;
    }

    static void run(List<String> cmd, int timeoutSeconds) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + cmd);
        }
        assertEquals(0, p.exitValue(), "exit code of " + cmd);
    }

    /** A GStreamer branch sending 5 s of Opus as RTP. */
    static List<String> gstOpus(long ssrc, int port) {
        return List.of("audiotestsrc", "num-buffers=250", "is-live=true", "samplesperbuffer=960", "!",
                "audio/x-raw,rate=48000", "!", "opusenc", "!", "rtpopuspay", "pt=111", "ssrc=" + ssrc, "!",
                "udpsink", "host=127.0.0.1", "port=" + port);
    }

    /** A GStreamer branch sending 5 s of 640x360@25 video through the given encoder and payloader. */
    static List<String> gstVideo(List<String> encodeAndPay, int port) {
        List<String> out = new ArrayList<>(List.of("videotestsrc", "num-buffers=125", "is-live=true", "!",
                "video/x-raw,width=640,height=360,framerate=25/1", "!"));
        out.addAll(encodeAndPay);
        out.addAll(List.of("!", "udpsink", "host=127.0.0.1", "port=" + port));
        return out;
    }

    static List<String> gst(List<String> audio, List<String> video) {
        List<String> cmd = new ArrayList<>(List.of("gst-launch-1.0", "-q"));
        cmd.addAll(audio);
        cmd.addAll(video);
        return cmd;
    }

    static void assertFlowed(String room, String participant, int seconds) {
        JsonObject a = api.trackStats(room, participant, "audio");
        JsonObject v = api.trackStats(room, participant, "video");
        assertTrue(a.getLong("packets") >= 45L * seconds, "about 50 audio packets/s: " + a);
        assertTrue(a.getLong("framesDecoded") >= 45L * seconds, a.encode());
        assertEquals(0, a.getLong("lost"), a.encode());
        assertTrue(v.getLong("framesDecoded") >= 22L * seconds, "about 25 frames/s: " + v);
        assertEquals(0, v.getLong("lost"), v.encode());
        assertEquals(0, v.getLong("decodeErrors"), v.encode());
    }

    @Test
    void gstreamerOpusAndVp8() throws Exception {
        String room = join("gst", 0x8001, 0x8002, "vp8", 96);
        int port = node.rtpPort();
        run(gst(gstOpus(0x8001, port), gstVideo(List.of("vp8enc", "deadline=1", "keyframe-max-dist=50", "!",
                "rtpvp8pay", "pt=96", "ssrc=" + 0x8002), port)), 60);
        Thread.sleep(500);
        assertFlowed(room, "gst", 5);
    }

    @Test
    void gstreamerH264() throws Exception {
        String room = join("gsth264", 0x8101, 0x8102, "h264", 102);
        int port = node.rtpPort();
        run(gst(gstOpus(0x8101, port), gstVideo(List.of("x264enc", "tune=zerolatency", "key-int-max=50", "!",
                "rtph264pay", "pt=102", "ssrc=" + 0x8102, "config-interval=-1"), port)), 60);
        Thread.sleep(500);
        assertFlowed(room, "gsth264", 5);
    }

    @Test
    void debianFfmpegOpusAndH264() throws Exception {
        String room = join("ffm", 0x8201, 0x8202, "h264", 102);
        int port = node.rtpPort();
        String url = "rtp://127.0.0.1:" + port + "?rtcpport=" + port + "&pkt_size=1200";
        run(List.of("ffmpeg", "-hide_banner", "-loglevel", "error", "-re",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=5",
                "-f", "lavfi", "-i", "testsrc=size=640x360:rate=25:duration=5",
                "-map", "0:a", "-c:a", "libopus", "-b:a", "48k", "-f", "rtp", "-ssrc", Long.toString(0x8201), "-payload_type", "111", url,
                "-map", "1:v", "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-g", "50",
                "-pix_fmt", "yuv420p", "-f", "rtp", "-ssrc", Long.toString(0x8202), "-payload_type", "102", url), 60);
        Thread.sleep(500);
        assertFlowed(room, "ffm", 5);
    }
}
