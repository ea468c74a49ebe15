package io.roomcast.events;

import io.roomcast.Roomcast;
import io.roomcast.support.Api;
import io.roomcast.support.NodeExtension;
import io.roomcast.support.Sse;
import io.roomcast.support.Tokens;
import io.roomcast.support.Tracks;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An app follows a room without a webhook receiver: joins, messages, leaves and the session's end
 * come as Server-Sent Events with type, time and id, and a reconnect with the last id resumes
 * after it; a last id older than the kept window is told as a gap.
 */
class RoomEventsTest {
    @RegisterExtension
    final NodeExtension fresh = NodeExtension.withConfig(c -> c.put("events.resumeEventsPerRoom", 5));
    Roomcast node;
    Api api;

    @Test
    void aRoomsEventsStreamAndResumeAfterTheLastId() throws Exception {
        String room = api.createRoom();
        String other = api.createRoom();
        String path = "/v2/rooms/" + room + "/events?token=" + Tokens.forRoom(room);
        List<JsonObject> stream = Sse.open(node.httpPort(), path);
        List<JsonObject> otherStream = Sse.open(node.httpPort(), "/v2/rooms/" + other + "/events?token=" + Tokens.forRoom(other));
        api.post("/v2/rooms/" + room + "/participants", Tracks.join("ann", "Ann", Tracks.opus(61)));
        api.post("/v2/rooms/" + room + "/messages", new JsonObject().put("topic", "CHAT").put("message", "hi").put("senderId", "ann"));
        api.delete("/v2/rooms/" + room + "/participants/ann");
        api.post("/v2/sessions/end", new JsonObject().put("roomId", room));
        List<String> types = waitForTypes(stream, "session-ended");
        assertEquals(List.of("session-started", "participant-joined", "message-published", "participant-left", "session-ended"),
                types.stream().filter(t -> !t.startsWith("track-") && !t.equals("speaker-changed")).toList(), stream.toString());
        JsonObject joined = stream.stream().filter(e -> e.getString("type").equals("participant-joined")).findFirst().orElseThrow();
        assertEquals("ann", joined.getJsonObject("data").getString("participantId"), joined.encode());
        assertTrue(joined.getString("at").endsWith("Z"));
        assertEquals("hi", stream.stream().filter(e -> e.getString("type").equals("message-published")).findFirst().orElseThrow()
                .getJsonObject("data").getString("message"));
        for (int i = 1; i < stream.size(); i++) {
            assertTrue(Long.parseLong(stream.get(i).getString("id")) > Long.parseLong(stream.get(i - 1).getString("id")), "ids increase");
        }
        assertTrue(otherStream.isEmpty(), "another room's stream hears none of it: " + otherStream);

        // Resume after the join: the events after it, nothing before.
        List<JsonObject> resumed = Sse.open(node.httpPort(), path + "&lastEventId=" + joined.getString("id"));
        List<String> after = waitForTypes(resumed, "session-ended");
        assertEquals("message-published", after.get(0), resumed.toString());
        assertTrue(!after.contains("participant-joined") && !after.contains("session-started"), after.toString());

        // Older than the kept window (5 events here): a gap, then what is kept.
        for (int i = 0; i < 4; i++) {
            api.post("/v2/rooms/" + room + "/participants", Tracks.join("p" + i, "P" + i, Tracks.opus(70 + i)));
        }
        List<JsonObject> late = Sse.open(node.httpPort(), path + "&lastEventId=" + joined.getString("id"));
        for (int i = 0; i < 60 && late.size() < 6; i++) Thread.sleep(50);
        assertEquals("gap", late.get(0).containsKey("message") ? "gap" : late.get(0).getString("type"), late.toString());
        assertEquals(5, late.size() - 1, "the kept events follow the gap: " + late);

        assertEquals(403, api.as(Tokens.forRoom(other)).get("/v2/rooms/" + room + "/events").status());
        assertEquals(404, api.get("/v2/rooms/no-such-room/events").status());
    }

    private static List<String> waitForTypes(List<JsonObject> events, String last) throws InterruptedException {
        for (int i = 0; i < 100 && events.stream().noneMatch(e -> last.equals(e.getString("type"))); i++) Thread.sleep(50);
        List<String> types = events.stream().map(e -> e.getString("type")).toList();
        assertTrue(types.contains(last), last + " in " + events);
        return types;
    }
}
