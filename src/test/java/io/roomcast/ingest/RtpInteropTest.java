package io.roomcast.ingest;

import io.roomcast.Roomcast;
import io.roomcast.room.RoomService.TrackBinding;
import io.roomcast.support.Api;
import io.roomcast.support.RtpSender;
import io.roomcast.support.TestNode;
import io.roomcast.support.Tokens;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real RTP from FFmpeg's encoders and muxer into the node's UDP port, decoded, with stats over the API. */
class RtpInteropTest {
    @TempDir
    static Path data;
    static Roomcast node;
    static Api api;
    static final Map<Long, AtomicLong> audioSamples = new ConcurrentHashMap<>();
    static final Map<Long, AtomicLong> zeroCrossings = new ConcurrentHashMap<>();
    static final Map<Long, AtomicLong> videoFrames = new ConcurrentHashMap<>();
    static final Map<Long, String> videoSize = new ConcurrentHashMap<>();
    static final Map<Long, Long> firstVideoMicros = new ConcurrentHashMap<>();

    @BeforeAll
    static void start() throws Exception {
        node = TestNode.start(data);
        api = new Api(node.httpPort(), Tokens.admin());
        node.ingest().addSink(new MediaSink() {
            @Override
            public void audio(TrackBinding t, long micros, short[] pcm, int n, boolean concealed) {
                audioSamples.computeIfAbsent(t.track().ssrc(), k -> new AtomicLong()).addAndGet(n);
                long crossings = 0;
                for (int i = 1; i < n; i++) if ((pcm[i - 1] < 0) != (pcm[i] < 0)) crossings++;
                zeroCrossings.computeIfAbsent(t.track().ssrc(), k -> new AtomicLong()).addAndGet(crossings);
            }

            @Override
            public boolean wantsVideo(String sessionId) {
                return true;
            }

            @Override
            public void video(TrackBinding t, long micros, AVFrame frame) {
                videoFrames.computeIfAbsent(t.track().ssrc(), k -> new AtomicLong()).incrementAndGet();
                videoSize.put(t.track().ssrc(), frame.width() + "x" + frame.height());
                firstVideoMicros.putIfAbsent(t.track().ssrc(), micros);
            }
        });
    }

    @AfterAll
    static void stop() {
        node.stop();
    }

    static String join(String participant, long audioSsrc, long videoSsrc, String videoCodec) {
        String room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
        Api.Response r = api.post("/v2/rooms/" + room + "/participants", new JsonObject()
                .put("participantId", participant).put("name", participant).put("tracks", new JsonArray()
                        .add(new JsonObject().put("kind", "audio").put("codec", "opus").put("ssrc", audioSsrc).put("payloadType", 111))
                        .add(new JsonObject().put("kind", "video").put("codec", videoCodec).put("ssrc", videoSsrc)
                                .put("payloadType", videoCodec.equals("vp8") ? 96 : 102))));
        assertEquals(200, r.status(), r.body());
        assertEquals(node.rtpPort(), r.json().getJsonObject("ingest").getInteger("port"));
        return room;
    }

    @Test
    void opusAndVp8WithGarbageInTheMiddle() throws Exception {
        String room = join("alice", 0x1001, 0x1002, "vp8");
        int port = node.rtpPort();
        try (RtpSender audio = RtpSender.opus(port, 0x1001, 111);
             RtpSender video = RtpSender.video(port, 0x1002, 96, "vp8", 640, 360)) {
            audio.startTestSignal(6);
            video.startTestSignal(6);
            Thread.sleep(2500);
            // Garbage from another socket: random bytes, truncated headers, the real SSRCs from a wrong source.
            Random rnd = new Random(7);
            try (DatagramSocket attacker = new DatagramSocket()) {
                InetAddress to = InetAddress.getLoopbackAddress();
                for (int i = 0; i < 3000; i++) {
                    byte[] junk = new byte[1 + rnd.nextInt(1400)];
                    rnd.nextBytes(junk);
                    if (i % 3 == 0 && junk.length >= 12) {
                        junk[0] = (byte) 0x80;
                        junk[1] = 96;
                        long ssrc = i % 2 == 0 ? 0x1001 : 0x1002;
                        junk[8] = 0;
                        junk[9] = 0;
                        junk[10] = (byte) (ssrc >> 8);
                        junk[11] = (byte) ssrc;
                    }
                    attacker.send(new DatagramPacket(junk, junk.length, to, port));
                    if (i % 10 == 0) Thread.sleep(1); // garbage, not a flood (the fuzz test floods)
                }
            }
            audio.join();
            video.join();
        }
        Thread.sleep(300);
        JsonObject a = api.trackStats(room, "alice", "audio");
        JsonObject v = api.trackStats(room, "alice", "video");
        // 6 s of Opus in 20 ms packets is 300 packets; 6 s at 25 fps is 150 frames.
        assertTrue(a.getLong("packets") >= 290 && a.getLong("packets") <= 310, a.encode());
        assertEquals(0, a.getLong("lost"), a.encode());
        assertTrue(a.getLong("framesDecoded") >= 290, a.encode());
        assertTrue(v.getLong("framesDecoded") >= 145 && v.getLong("framesDecoded") <= 150, v.encode());
        assertEquals(0, v.getLong("lost"), v.encode());
        assertTrue(v.getLong("bytes") > 50_000, v.encode());
        assertTrue(a.getDouble("jitterMs") < 20, a.encode());
        assertTrue(a.getString("lastPacketAt") != null);
        assertEquals("640x360", videoSize.get(0x1002L));
        assertTrue(node.ingest().dropped(RtpIngest.Drop.WRONG_SOURCE) >= 900, "spoofed SSRCs from another source are dropped");
        assertTrue(node.ingest().dropped(RtpIngest.Drop.UNKNOWN_SSRC) + node.ingest().dropped(RtpIngest.Drop.MALFORMED) >= 1500);
        // Decoded audio is the 440 Hz tone at 48 kHz: 880 zero crossings a second.
        double seconds = audioSamples.get(0x1001L).get() / 48000.0;
        assertTrue(seconds > 5.7 && seconds < 6.3, "decoded seconds " + seconds);
        double hz = zeroCrossings.get(0x1001L).get() / seconds / 2;
        assertTrue(Math.abs(hz - 440) < 10, "decoded tone at " + hz + " Hz");
        // Metrics carry the same story.
        String metrics = api.as(null).get("/metrics").body();
        assertTrue(metrics.contains("roomcast_rtp_dropped_total{reason=\"wrong_source\"}"), "drop metric");
        assertTrue(metrics.contains("roomcast_frames_decoded_total"));
    }

    @Test
    void h264FromOpenH264() throws Exception {
        String room = join("bob", 0x2001, 0x2002, "h264");
        try (RtpSender video = RtpSender.video(node.rtpPort(), 0x2002, 102, "h264", 640, 360)) {
            video.startTestSignal(4);
            video.join();
        }
        Thread.sleep(300);
        JsonObject v = api.trackStats(room, "bob", "video");
        assertTrue(v.getLong("framesDecoded") >= 95, v.encode());
        assertEquals(0, v.getLong("lost"), v.encode());
        assertEquals(0, v.getLong("decodeErrors"), v.encode());
        assertEquals("640x360", videoSize.get(0x2002L));
    }
}
