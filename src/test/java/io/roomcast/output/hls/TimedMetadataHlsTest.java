package io.roomcast.output.hls;

import io.roomcast.Roomcast;
import io.roomcast.support.Api;
import io.roomcast.support.NodeExtension;
import io.roomcast.support.Participants;
import io.roomcast.support.RtpSender;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A poll published while the stream runs is in its live and VOD playlists as an EXT-X-DATERANGE at
 * the moment it was sent on the stream's clock: inside the segment whose program date and length
 * cover that moment; a message on another topic is not.
 */
class TimedMetadataHlsTest {
    @RegisterExtension
    final NodeExtension fresh = new NodeExtension();
    Roomcast node;
    Api api;

    private static final Pattern RANGE = Pattern.compile("#EXT-X-DATERANGE:ID=\"([0-9a-f]+)\",CLASS=\"io.roomcast.message\","
            + "START-DATE=\"([^\"]+)\",X-TOPIC=\"([^\"]*)\",X-MESSAGE=\"([^\"]*)\"(?:,X-PAYLOAD=\"([^\"]*)\")?");
    private static final Pattern SEGMENT = Pattern.compile("#EXT-X-PROGRAM-DATE-TIME:(\\S+)\\n(?:#EXT-X-PART:[^\\n]*\\n)*#EXTINF:([0-9.]+),");

    @ParameterizedTest(name = "lowLatency={0}")
    @ValueSource(booleans = {false, true})
    void aPollIsInThePlaylistsAtTheMomentItWasSent(boolean lowLatency) throws Exception {
        String room = api.createRoom();
        Participants.join(api, room, "ann", 11, 12, "vp8");
        try (RtpSender v = RtpSender.video(node.rtpPort(), 12, 96, "vp8", 640, 360).talkingHead();
             RtpSender a = RtpSender.opus(node.rtpPort(), 11, 111)) {
            v.startTestSignal(20);
            a.startTestSignal(20);
            JsonObject h = api.post("/v2/hls/start", new JsonObject().put("roomId", room).put("preset", "grid-360p")
                    .put("config", new JsonObject().put("hls", new JsonObject().put("lowLatency", lowLatency))
                            .put("timedMetadataTopics", new JsonArray().add("POLL")))).json();
            String base = "/v2/hls/" + h.getString("id") + "/";
            api.waitFor("/v2/hls/" + h.getString("id"), "status", "started", 15_000);
            Thread.sleep(3300); // into the stream's second segment
            JsonObject poll = api.post("/v2/rooms/" + room + "/messages", new JsonObject().put("topic", "POLL").put("message", "Ready?")
                    .put("senderId", "ann").put("payload", new JsonObject().put("options", new JsonArray().add("yes").add("no")))).json();
            api.post("/v2/rooms/" + room + "/messages", new JsonObject().put("topic", "CHAT").put("message", "not in the stream").put("senderId", "ann"));
            Thread.sleep(4500); // the segment it fell in is closed and listed

            String live = api.get(base + (lowLatency ? "live.m3u8" : "playback.m3u8")).body();
            checkPlacedAt(live, poll);
            assertTrue(!live.contains("not in the stream") && !live.contains("X-TOPIC=\"CHAT\""), live);

            api.post("/v2/hls/end", new JsonObject().put("roomId", room));
            api.waitFor("/v2/hls/" + h.getString("id"), "status", "stopped", 30_000);
            checkPlacedAt(api.get(base + "playback.m3u8").body(), poll);
        }
    }

    /** The poll's date range is there once, with its text and payload, inside the segment that covers the moment it was sent. */
    private static void checkPlacedAt(String playlist, JsonObject poll) {
        Matcher r = RANGE.matcher(playlist);
        assertTrue(r.find(), "a DATERANGE for the poll:\n" + playlist);
        assertEquals(poll.getString("id"), r.group(1));
        assertTrue(!r.find(), "listed once:\n" + playlist);
        r.reset().find();
        assertEquals("POLL", r.group(3));
        assertEquals("Ready?", URLDecoder.decode(r.group(4), StandardCharsets.UTF_8));
        assertEquals(poll.getJsonObject("payload"), new JsonObject(URLDecoder.decode(r.group(5), StandardCharsets.UTF_8)));
        Instant start = Instant.parse(r.group(2));
        Instant sent = Instant.parse(poll.getString("timestamp"));
        assertTrue(Math.abs(Duration.between(sent, start).toMillis()) < 50, "the moment it was sent: " + start + " vs " + sent);
        Matcher s = SEGMENT.matcher(playlist);
        int covering = 0;
        int segments = 0;
        while (s.find()) {
            segments++;
            Instant from = Instant.parse(s.group(1));
            Instant to = from.plusMillis(Math.round(Double.parseDouble(s.group(2)) * 1000));
            if (!start.isBefore(from) && start.isBefore(to)) covering = segments;
        }
        assertTrue(covering > 1, "inside a listed segment after the first (" + covering + " of " + segments + "):\n" + playlist);
    }
}
