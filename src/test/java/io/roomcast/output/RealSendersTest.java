package io.roomcast.output;

import io.roomcast.Roomcast;
import io.roomcast.ingest.RtpPacket;
import io.roomcast.support.Api;
import io.roomcast.support.Media;
import io.roomcast.support.NodeExtension;
import io.roomcast.support.RtpSender;
import io.roomcast.support.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.util.List;

import static io.roomcast.support.Participants.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Senders as SFUs forward browsers: keyframes only when asked (or never, when the request reaches
 * nobody), and senders that restart from a new port on the same SSRC.
 */
class RealSendersTest {
    /** A fresh node for every test, in {@link #node} and {@link #api}. */
    @RegisterExtension
    final NodeExtension fresh = new NodeExtension();
    Roomcast node;
    Api api;

    @Test
    void aCameraThatAnswersKeyframeRequestsIsDecodedOnlyWhileShownAndAppearsWithinASecond() throws Exception {
        try (WebhookReceiver hooks = new WebhookReceiver()) {
            // An SFU whose keyframe request is an API call subscribes to keyframe-needed (opt-in).
            String room = api.post("/v2/rooms", new JsonObject().put("webhook", new JsonObject().put("url", hooks.url())
                    .put("events", new JsonArray().add("keyframe-needed")))).json().getString("roomId");
            join(api, room, "bea", 61, 62, "vp8");
            try (RtpSender a = RtpSender.opus(node.rtpPort(), 61, 111);
                 RtpSender v = RtpSender.browserVideo(node.rtpPort(), 62, 96, "vp8", 640, 360, true).talkingHead()) {
                a.startTestSignal(14);
                v.startTestSignal(14);
                Thread.sleep(3000);
                JsonObject before = api.trackStats(room, "bea", "video");
                assertEquals("answered", before.getString("keyframeResponse"), "the probe after the first keyframe was answered: " + before);
                Thread.sleep(1000);
                JsonObject idle = api.trackStats(room, "bea", "video");
                assertEquals(before.getLong("framesDecoded"), idle.getLong("framesDecoded"), "not decoded while nothing shows it: " + idle);
                assertTrue(idle.getLong("framesNotDecoded") >= 20, idle.encode());

                long asked = System.nanoTime();
                assertEquals(200, api.post("/v2/hls/start", new JsonObject().put("roomId", room).put("preset", "grid-360p")).status());
                long firstPictureMs = -1;
                while (System.nanoTime() - asked < 5_000_000_000L) {
                    if (api.trackStats(room, "bea", "video").getLong("framesDecoded") > idle.getLong("framesDecoded")) {
                        firstPictureMs = (System.nanoTime() - asked) / 1_000_000;
                        break;
                    }
                    Thread.sleep(20);
                }
                System.out.println("first decoded picture " + firstPictureMs + " ms after the HLS start request");
                assertTrue(firstPictureMs >= 0 && firstPictureMs < 1000, "picture " + firstPictureMs + " ms after the output was asked for");
                assertTrue(v.keyframeRequestsSeen() >= 2, "the probe and the output's request reached the sender");
                api.waitFor("/v2/hls?roomId=" + room, "status", "started", 10_000);
                JsonObject needed = hooks.await("keyframe-needed", 1, 5000).get(0).json().getJsonObject("data");
                assertEquals(62, needed.getLong("ssrc"), needed.encode());
                assertEquals("bea", needed.getString("participantId"));
                a.join();
                v.join();
            }
        }
    }

    @Test
    void aCameraWhoseKeyframeRequestsReachNobodyStaysDecodedSoItIsReadyForAnOutput() throws Exception {
        String room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
        join(api, room, "ned", 71, 72, "vp8");
        try (RtpSender a = RtpSender.opus(node.rtpPort(), 71, 111);
             RtpSender v = RtpSender.browserVideo(node.rtpPort(), 72, 96, "vp8", 640, 360, false).talkingHead()) {
            a.startTestSignal(12);
            v.startTestSignal(12);
            Thread.sleep(4000);
            JsonObject idle = api.trackStats(room, "ned", "video");
            assertEquals("unanswered", idle.getString("keyframeResponse"), idle.encode());
            assertEquals(1, idle.getLong("keyframes"), "one keyframe at the start, none after: " + idle);
            assertTrue(idle.getLong("framesDecoded") >= 80, "decoded with no output, as no keyframe would come: " + idle);
            String rec = api.post("/v2/recordings/start", new JsonObject().put("roomId", room).put("preset", "grid-360p"))
                    .json().getString("id");
            api.waitFor("/v2/recordings/" + rec, "status", "started", 10_000);
            Thread.sleep(3000);
            assertEquals(200, api.post("/v2/recordings/end", new JsonObject().put("roomId", room)).status());
            JsonObject done = api.waitFor("/v2/recordings/" + rec, "status", "stopped", 30_000);
            JsonObject after = api.trackStats(room, "ned", "video");
            assertEquals(0, after.getLong("framesDropped"), "no picture waited for a keyframe: " + after);
            Media.Probe p = Media.probe(done.getJsonObject("file").getString("fileUrl"));
            assertTrue(p.videoFrames() >= 50, "the recording has pictures: " + p);
            a.join();
            v.join();
        }
    }

    @Test
    void aSenderRestartedFromANewPortIsTakenBackWhileAnotherHostStaysOut() throws Exception {
        try (WebhookReceiver hooks = new WebhookReceiver()) {
            String room = api.post("/v2/rooms", new JsonObject().put("webhook", new JsonObject().put("url", hooks.url())))
                    .json().getString("roomId");
            join(api, room, "rio", 81, 0, "vp8");
            try (RtpSender first = RtpSender.opus(node.rtpPort(), 81, 111)) {
                first.startTestSignal(3).join();
            }
            long afterFirst = api.trackStats(room, "rio", "audio").getLong("packets");
            // Someone on another host sends with the SSRC once the source is quiet: never taken.
            try (DatagramSocket intruder = new DatagramSocket(0, InetAddress.getByName("127.0.0.2"))) {
                Thread.sleep(1200);
                for (int i = 0; i < 20; i++) {
                    byte[] d = RtpPacket.build(111, false, 40000 + i, 960L * i, 81, new byte[] {(byte) 0xf8, 1, 2});
                    intruder.send(new DatagramPacket(d, d.length, InetAddress.getLoopbackAddress(), node.rtpPort()));
                }
            }
            Thread.sleep(300);
            JsonObject refused = api.trackStats(room, "rio", "audio");
            assertEquals(20, refused.getLong("wrongSource"), refused.encode());
            assertEquals(afterFirst, refused.getLong("packets"), refused.encode());

            try (RtpSender second = RtpSender.opus(node.rtpPort(), 81, 111)) {
                second.startTestSignal(3).join();
            }
            Thread.sleep(500);
            JsonObject stats = api.trackStats(room, "rio", "audio");
            assertEquals(1, stats.getLong("sourceChanges"), stats.encode());
            assertEquals(20, stats.getLong("wrongSource"), "the restarted sender lost none of its packets: " + stats);
            long secondPackets = stats.getLong("packets") - afterFirst;
            assertTrue(secondPackets >= 145, "3 s of 20 ms packets from the restarted sender: " + secondPackets);
            assertEquals(0, stats.getLong("late"), stats.encode());
            // Restarted at once (no quiet time before it): its packets are held until the old source
            // has been quiet long enough, then taken, none lost.
            try (RtpSender third = RtpSender.opus(node.rtpPort(), 81, 111)) {
                third.startTestSignal(3).join();
            }
            Thread.sleep(500);
            JsonObject quick = api.trackStats(room, "rio", "audio");
            assertEquals(2, quick.getLong("sourceChanges"), quick.encode());
            assertEquals(20, quick.getLong("wrongSource"), quick.encode());
            assertTrue(quick.getLong("packets") - stats.getLong("packets") >= 145, quick.encode());
            List<WebhookReceiver.Delivery> changed = hooks.await("track-source-changed", 1, 5000);
            JsonObject d = changed.get(0).json().getJsonObject("data");
            assertEquals("rio", d.getString("participantId"));
            assertEquals(81, d.getLong("ssrc"));
        }
    }
}
