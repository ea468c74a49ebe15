package io.roomcast.ingest;

import io.roomcast.Roomcast;
import io.roomcast.support.Api;
import io.roomcast.support.LossyRelay;
import io.roomcast.support.NodeExtension;
import io.roomcast.support.RtpFuzz;
import io.roomcast.support.RtpSender;
import io.roomcast.support.Tracks;
import io.roomcast.support.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Floods, fuzz, loss and reordering, silence, leaving: the ingest keeps working and says what happened. */
class IngestRobustnessTest {
    @RegisterExtension
    static final NodeExtension NODE = NodeExtension.withConfig(o -> {
        o.put("ingest.maxPacketsPerSecondPerTrack", 100_000); // let the fuzz reach the decoders
        o.put("ingest.silenceSeconds", 1);
        o.put("ingest.keyframeRequestIntervalMs", 100);
        o.put("ingest.decodeVideo", "always"); // no outputs run here, and the decoders are what is tested
    });
    static Roomcast node;
    static Api api;
    static WebhookReceiver hooks;

    @BeforeAll
    static void start() throws Exception {
        hooks = new WebhookReceiver();
    }

    @AfterAll
    static void stop() {
        hooks.close();
    }

    static String room(boolean withHook) {
        JsonObject body = new JsonObject();
        if (withHook) body.put("webhook", new JsonObject().put("url", hooks.url()));
        return api.post("/v2/rooms", body).json().getString("roomId");
    }

    static void join(String room, String participant, JsonObject... tracks) {
        api.join(room, participant, participant, tracks);
    }

    /** The track-silent webhook of this SSRC (the receiver is shared by the tests of this class). */
    static JsonObject silentEvent(long ssrc, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            for (WebhookReceiver.Delivery d : hooks.deliveries()) {
                JsonObject data = d.json().getJsonObject("data");
                if (d.type().equals("track-silent") && data.getLong("ssrc") == ssrc) return data;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no track-silent for ssrc " + ssrc + " within " + timeoutMs + " ms");
    }

    static JsonObject stats(String room, String participant, String kind) {
        return api.trackStats(room, participant, kind);
    }

    /** 100 000 random and mutated datagrams, from a latched source and from nowhere; then real media still decodes. */
    @Test
    void fuzzThenARealStreamStillDecodes() throws Exception {
        String room = room(false);
        join(room, "fuzzer", Tracks.of("audio", "opus", 0x7001, 111), Tracks.of("video", "vp8", 0x7002, 96), Tracks.of("video", "h264", 0x7003, 102));
        int port = node.rtpPort();
        InetAddress to = InetAddress.getLoopbackAddress();
        RtpFuzz fuzz = new RtpFuzz(2024, 0x7001, 0x7002, 0x7003);
        try (DatagramSocket s = new DatagramSocket()) {
            for (int i = 0; i < 100_000; i++) {
                byte[] d = fuzz.next();
                s.send(new DatagramPacket(d, d.length, to, port));
                if (i % 20 == 0) Thread.sleep(1); // about 20 000 datagrams/s: within what the kernel buffers
            }
        }
        Thread.sleep(1000);
        assertEquals(200, api.as(null).get("/health").status());
        JsonObject v = stats(room, "fuzzer", "video");
        String m = api.as(null).get("/metrics").body();
        String counts = m.lines().filter(l -> l.startsWith("roomcast_rtp_")).reduce("", (x, y) -> x + "\n" + y);
        assertTrue(v.getLong("packets") > 10_000, "fuzz reached the video track: " + v + counts);
        assertTrue(v.getLong("decodeErrors") + v.getLong("framesDropped") > 0, "garbage was refused: " + v);

        // A real participant afterwards is untouched.
        String clean = room(false);
        join(clean, "real", Tracks.of("audio", "opus", 0x7101, 111), Tracks.of("video", "vp8", 0x7102, 96));
        try (RtpSender audio = RtpSender.opus(port, 0x7101, 111); RtpSender video = RtpSender.video(port, 0x7102, 96, "vp8", 320, 180)) {
            audio.startTestSignal(3);
            video.startTestSignal(3);
            audio.join();
            video.join();
        }
        Thread.sleep(300);
        JsonObject a = stats(clean, "real", "audio");
        JsonObject rv = stats(clean, "real", "video");
        assertTrue(a.getLong("framesDecoded") >= 145, a.encode());
        assertTrue(rv.getLong("framesDecoded") >= 70, rv.encode());
        assertEquals(0, rv.getLong("lost"));
    }

    /** Adding a track (a screen share) leaves the tracks that stay untouched: same receiver, same counters. */
    @Test
    void addingATrackMidSessionKeepsTheOthersFlowing() throws Exception {
        String room = room(false);
        join(room, "sharer", Tracks.of("audio", "opus", 0x7501, 111));
        try (RtpSender audio = RtpSender.opus(node.rtpPort(), 0x7501, 111)) {
            audio.startTestSignal(3);
            Thread.sleep(1200);
            join(room, "sharer", Tracks.of("audio", "opus", 0x7501, 111), new JsonObject().put("kind", "video").put("source", "screen").put("codec", "vp8")
                            .put("ssrc", 0x7502).put("payloadType", 96));
            audio.join();
        }
        Thread.sleep(300);
        JsonObject a = stats(room, "sharer", "audio");
        assertTrue(a.getLong("framesDecoded") >= 145, "3 s of audio, counted across the update: " + a.encode());
        assertEquals(0, a.getLong("lost"), a.encode());
        assertEquals("screen", api.get("/v2/sessions?roomId=" + room).json().getJsonArray("data").getJsonObject(0)
                .getJsonArray("participants").getJsonObject(0).getJsonArray("tracks").getJsonObject(1).getString("source"));
    }

    @Test
    void anRtcpByeAnnouncesTheTrackAtOnce() throws Exception {
        String room = room(true);
        join(room, "leaving", Tracks.of("audio", "opus", 0x7601, 111));
        try (DatagramSocket s = new DatagramSocket()) {
            InetAddress to = InetAddress.getLoopbackAddress();
            byte[] rtp = RtpPacket.build(111, false, 1, 960, 0x7601, new byte[] {(byte) 0xfc, 1, 2});
            s.send(new DatagramPacket(rtp, rtp.length, to, node.rtpPort()));
            Thread.sleep(100);
            byte[] bye = {(byte) 0x81, (byte) 203, 0, 1, 0, 0, 0x76, 0x01};
            s.send(new DatagramPacket(bye, bye.length, to, node.rtpPort()));
        }
        assertEquals("bye", silentEvent(0x7601, 900).getString("reason"), "before the 1 s silence timeout");
    }

    @Test
    void aDeltaFrameFirstBringsAPictureLossIndication() throws Exception {
        String room = room(false);
        join(room, "pli", Tracks.of("video", "vp8", 0x7201, 96));
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(3000);
            // A VP8 delta frame (P bit 1): the decoder cannot start here and must ask for a keyframe.
            byte[] d = RtpPacket.build(96, true, 1, 9000, 0x7201, new byte[] {0x10, 0x01, 0, 0});
            s.send(new DatagramPacket(d, d.length, InetAddress.getLoopbackAddress(), node.rtpPort()));
            byte[] buf = new byte[1500];
            DatagramPacket in = new DatagramPacket(buf, buf.length);
            s.receive(in);
            assertEquals(12, in.getLength());
            assertEquals(0x81, buf[0] & 0xff, "RTCP, FMT 1 (PLI)");
            assertEquals(206, buf[1] & 0xff, "payload-specific feedback");
            assertEquals(0x7201, RtpPacket.u32(buf, 8), "about our SSRC");
        }
        assertEquals(1, stats(room, "pli", "video").getLong("framesDropped"));
    }

    @Test
    void lossAndReorderingAreCountedConcealedAndRecovered() throws Exception {
        String room = room(false);
        join(room, "lossy", Tracks.of("audio", "opus", 0x7301, 111), Tracks.of("video", "vp8", 0x7302, 96));
        try (LossyRelay relay = new LossyRelay(node.rtpPort());
             RtpSender audio = RtpSender.opus(relay.port(), 0x7301, 111);
             RtpSender video = RtpSender.video(relay.port(), 0x7302, 96, "vp8", 320, 180)) {
            audio.startTestSignal(8);
            video.startTestSignal(8);
            audio.join();
            video.join();
            Thread.sleep(500);
            assertTrue(relay.dropped() > 10, "the relay dropped " + relay.dropped());
        }
        JsonObject a = stats(room, "lossy", "audio");
        JsonObject v = stats(room, "lossy", "video");
        assertTrue(a.getLong("lost") > 0, a.encode());
        assertEquals(a.getLong("packets") + a.getLong("lost"), 400, 3, "every audio packet is received or counted lost: " + a);
        assertTrue(a.getLong("framesDecoded") >= a.getLong("packets") - a.getLong("late") - 2, a.encode());
        assertTrue(v.getLong("lost") > 0, v.encode());
        assertTrue(v.getLong("keyframeRequests") > 0, "a broken frame asks for a keyframe: " + v);
        // FFmpeg's sender ignores PLI and sends a keyframe every 2 s: after a loss the picture freezes
        // until the next keyframe, then decoding resumes; broken frames never reach the decoder.
        assertTrue(v.getLong("framesDecoded") >= 10, v.encode());
        assertTrue(v.getLong("framesDropped") > 0, v.encode());
        assertEquals(0, v.getLong("decodeErrors"), v.encode());
    }

    @Test
    void aSilentTrackIsAnnouncedAndALeaverIsReleased() throws Exception {
        String room = room(true);
        join(room, "quiet", Tracks.of("audio", "opus", 0x7401, 111));
        try (RtpSender audio = RtpSender.opus(node.rtpPort(), 0x7401, 111)) {
            audio.startTestSignal(1);
            audio.join();
        }
        JsonObject silent = silentEvent(0x7401, 5000);
        assertEquals("timeout", silent.getString("reason"));
        assertEquals("quiet", silent.getString("participantId"));
        assertEquals("silent", stats(room, "quiet", "audio").getString("status"));

        long unknownBefore = node.ingest().dropped(RtpIngest.Drop.UNKNOWN_SSRC);
        assertEquals(200, api.delete("/v2/rooms/" + room + "/participants/quiet").status());
        assertEquals(404, api.get("/v2/rooms/" + room + "/participants/quiet/stats").status());
        try (DatagramSocket s = new DatagramSocket()) {
            byte[] d = RtpPacket.build(111, false, 5, 5, 0x7401, new byte[] {1, 2, 3});
            s.send(new DatagramPacket(d, d.length, InetAddress.getLoopbackAddress(), node.rtpPort()));
        }
        Thread.sleep(300);
        assertEquals(unknownBefore + 1, node.ingest().dropped(RtpIngest.Drop.UNKNOWN_SSRC), "a left track's SSRC is unknown");
    }
}
