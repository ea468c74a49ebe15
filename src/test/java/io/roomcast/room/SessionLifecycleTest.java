package io.roomcast.room;

import io.roomcast.Roomcast;
import io.roomcast.support.Api;
import io.roomcast.support.NodeExtension;
import io.roomcast.support.Tracks;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** A session starts with the first join, survives short absences, and ends a grace period after the last leave. */
class SessionLifecycleTest {
    @RegisterExtension
    static final NodeExtension NODE = NodeExtension.withConfig(o -> {
        o.put("sessions.graceSeconds", 2);
        o.put("rtp.port", 5555);
        o.put("rtp.publicHost", "media.example.test");
    });
    static Roomcast node;
    static Api api;
    static JsonObject participant(String id, String name, long audioSsrc, long videoSsrc) {
        return Tracks.join(id, name, Tracks.opus(audioSsrc), Tracks.camera("vp8", videoSsrc));
    }

    static int rooms;

    /** A new room each time: a customRoomId names one room (creating it again gives the same room back). */
    static String newRoom() {
        return api.post("/v2/rooms", new JsonObject().put("customRoomId", "standup-" + ++rooms)).json().getString("roomId");
    }

    static JsonObject session(String id) {
        Api.Response r = api.get("/v2/sessions/" + id);
        assertEquals(200, r.status(), r.body());
        return r.json();
    }

    static void sleep(long ms) throws InterruptedException {
        Thread.sleep(ms);
    }

    @Test
    void joinLeaveRejoinAndGrace() throws Exception {
        String room = newRoom();
        Api.Response joined = api.post("/v2/rooms/" + room + "/participants", participant("alice", "Alice", 1001, 1002));
        assertEquals(200, joined.status(), joined.body());
        String sessionId = joined.json().getString("sessionId");
        JsonObject ingest = joined.json().getJsonObject("ingest");
        assertEquals("rtp/udp", ingest.getString("protocol"));
        assertEquals("media.example.test", ingest.getString("host"));
        assertEquals(5555, ingest.getInteger("port"));

        assertEquals(sessionId, api.post("/v2/rooms/" + room + "/participants", participant("bob", "Bob", 2001, 2002))
                .json().getString("sessionId"));
        JsonObject s = session(sessionId);
        assertEquals("ongoing", s.getString("status"));
        assertEquals(room, s.getString("roomId"));
        assertNull(s.getString("end"));
        assertEquals(2, s.getJsonArray("participants").size());
        assertEquals("video", node.rooms().bySsrc(2002).track().kind(), "video SSRC is bound for ingest");
        assertEquals("bob", node.rooms().bySsrc(2002).participantId());

        // Alice leaves and comes back within the session: one session, two timelog spans.
        assertEquals(200, api.delete("/v2/rooms/" + room + "/participants/alice").status());
        assertNull(node.rooms().bySsrc(1001), "a participant who left no longer owns its SSRC");
        assertEquals(404, api.delete("/v2/rooms/" + room + "/participants/alice").status(), "leaving twice");
        assertEquals(sessionId, api.post("/v2/rooms/" + room + "/participants", participant("alice", "Alice", 1001, 1002))
                .json().getString("sessionId"));
        JsonObject alice = session(sessionId).getJsonArray("participants").getJsonObject(0);
        assertEquals("alice", alice.getString("participantId"));
        JsonArray log = alice.getJsonArray("timelog");
        assertEquals(2, log.size());
        assertNotNull(log.getJsonObject(0).getString("end"));
        assertNull(log.getJsonObject(1).getString("end"));

        // Everyone leaves; a rejoin inside the grace period keeps the session.
        api.delete("/v2/rooms/" + room + "/participants/alice");
        api.delete("/v2/rooms/" + room + "/participants/bob");
        sleep(700);
        assertEquals("ongoing", session(sessionId).getString("status"));
        assertEquals(sessionId, api.post("/v2/rooms/" + room + "/participants", participant("bob", "Bob", 2001, 2002))
                .json().getString("sessionId"));
        sleep(2500);
        assertEquals("ongoing", session(sessionId).getString("status"), "bob is present, grace must not end it");

        // Last leave, grace passes: the session ends with an end time.
        api.delete("/v2/rooms/" + room + "/participants/bob");
        waitForStatus(sessionId, "ended", 6000);
        JsonObject ended = session(sessionId);
        assertNotNull(ended.getString("end"));
        for (Object o : ended.getJsonArray("participants")) {
            JsonArray spans = ((JsonObject) o).getJsonArray("timelog");
            assertNotNull(spans.getJsonObject(spans.size() - 1).getString("end"));
        }

        // The next join opens a new session.
        String next = api.post("/v2/rooms/" + room + "/participants", participant("carol", "Carol", 3001, 3002))
                .json().getString("sessionId");
        assertNotEquals(sessionId, next);
        JsonObject list = api.get("/v2/sessions?roomId=" + room).json();
        assertEquals(2, list.getJsonArray("data").size());
        assertEquals(sessionId, list.getJsonArray("data").getJsonObject(0).getString("sessionId"));
    }

    @Test
    void endingASessionClosesEveryTimelogAndFreesSsrcs() {
        String room = newRoom();
        String sessionId = api.post("/v2/rooms/" + room + "/participants", participant("dan", "Dan", 4001, 4002))
                .json().getString("sessionId");
        Api.Response end = api.post("/v2/sessions/end", new JsonObject().put("roomId", room));
        assertEquals(200, end.status(), end.body());
        assertEquals("ended", end.json().getString("status"));
        assertEquals(sessionId, end.json().getString("sessionId"));
        assertNotNull(end.json().getJsonArray("participants").getJsonObject(0).getJsonArray("timelog")
                .getJsonObject(0).getString("end"));
        assertNull(node.rooms().bySsrc(4001));
        assertEquals(404, api.post("/v2/sessions/end", new JsonObject().put("roomId", room)).status(),
                "no ongoing session to end");
    }

    @Test
    void joiningAgainWhilePresentUpdatesTracks() {
        String room = newRoom();
        String sessionId = api.post("/v2/rooms/" + room + "/participants", participant("erin", "Erin", 5001, 5002))
                .json().getString("sessionId");
        JsonObject withScreen = participant("erin", "Erin", 5001, 5002);
        withScreen.getJsonArray("tracks").add(new JsonObject().put("kind", "video").put("source", "screen")
                .put("codec", "h264").put("ssrc", 5003).put("payloadType", 102));
        assertEquals(sessionId, api.post("/v2/rooms/" + room + "/participants", withScreen).json().getString("sessionId"));
        JsonObject erin = session(sessionId).getJsonArray("participants").getJsonObject(0);
        assertEquals(1, erin.getJsonArray("timelog").size(), "an update is not a new join");
        assertEquals(3, erin.getJsonArray("tracks").size());
        assertEquals("screen", node.rooms().bySsrc(5003).track().source());
        assertEquals(90000, node.rooms().bySsrc(5003).track().clockRate());
    }

    static void waitForStatus(String sessionId, String status, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            if (status.equals(session(sessionId).getString("status"))) return;
            sleep(100);
        }
        assertEquals(status, session(sessionId).getString("status"));
    }
}
