package io.roomcast.messages;

import io.roomcast.Roomcast;
import io.roomcast.support.Api;
import io.roomcast.support.NodeExtension;
import io.roomcast.support.Sse;
import io.roomcast.support.Tracks;
import io.roomcast.support.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HLS viewers take part with the viewer token of their HLS URLs: they publish only to the start's
 * {@code config.viewerTopics}, as the sender their token names (not the body's), rate-limited per
 * viewer, and read only the topics meant for them.
 */
class ViewerMessagesTest {
    @RegisterExtension
    final NodeExtension fresh = NodeExtension.withConfig(c -> c.put("messages.perSenderPerSecond", 3));
    Roomcast node;
    Api api;

    @Test
    void aViewerAnswersAPollAndAsksAQuestionAndNothingElse() throws Exception {
        String room = api.createRoom();
        String other = api.createRoom();
        api.post("/v2/rooms/" + room + "/participants", Tracks.join("ann", "Ann", Tracks.opus(91)));
        assertEquals(400, api.post("/v2/hls/start", new JsonObject().put("roomId", room)
                .put("config", new JsonObject().put("viewerTopics", "QNA"))).status(), "viewerTopics must be an array");
        JsonObject hls = api.post("/v2/hls/start", new JsonObject().put("roomId", room).put("config", new JsonObject()
                .put("viewerTopics", new JsonArray().add("QNA").add("POLL_RESPONSE"))
                .put("timedMetadataTopics", new JsonArray().add("POLL")))).json();
        String hlsId = hls.getString("id");
        String urlToken = hls.getString("livestreamUrl").replaceAll(".*\\?token=", "");
        JsonObject vera = api.post("/v2/hls/" + hlsId + "/viewers", new JsonObject().put("name", "Vera")).json();
        assertTrue(vera.getString("playbackHlsUrl").contains("?token=" + vera.getString("token")), vera.encode());
        Api asVera = api.as(vera.getString("token"));
        Api asUrl = api.as(urlToken);
        String path = "/v2/rooms/" + room + "/messages";
        List<JsonObject> veraSees = Sse.open(node.httpPort(), path + "?token=" + vera.getString("token"));

        api.post(path, new JsonObject().put("topic", "CHAT").put("message", "for participants").put("senderId", "ann").put("persist", true));
        String pollId = api.post(path, new JsonObject().put("topic", "POLL").put("message", "Tabs or spaces?").put("senderId", "ann")
                .put("persist", true).put("payload", new JsonObject().put("options", new JsonArray().add("tabs").add("spaces")))).json().getString("id");

        // Vera asks a question: the sender is who her token says, whatever the body claims.
        JsonObject q = asVera.post(path, new JsonObject().put("topic", "QNA").put("message", "Is it recorded?")
                .put("senderId", "ann").put("senderName", "Ann").put("persist", true)).json();
        assertEquals(vera.getString("senderId"), q.getString("senderId"), q.encode());
        assertEquals("Vera", q.getString("senderName"));
        assertEquals(200, asVera.post(path, new JsonObject().put("topic", "POLL_RESPONSE").put("message", "spaces")
                .put("payload", new JsonObject().put("pollId", pollId).put("option", "spaces"))).status());
        // The URL's own token answers too, as another viewer.
        assertEquals(200, asUrl.post(path, new JsonObject().put("topic", "POLL_RESPONSE").put("message", "tabs")
                .put("payload", new JsonObject().put("pollId", pollId).put("option", "tabs"))).status());
        assertEquals(2, api.get("/v2/rooms/" + room + "/polls/" + pollId).json().getInteger("total"));
        assertEquals(2, asVera.get("/v2/rooms/" + room + "/polls/" + pollId).json().getInteger("total"), "viewers see the tally");

        // Nothing else: other topics, other rooms, other calls.
        Api.Response chat = asVera.post(path, new JsonObject().put("topic", "CHAT").put("message", "hi"));
        assertEquals(403, chat.status(), chat.body());
        assertEquals("forbidden", chat.errorCode());
        assertEquals(403, asVera.post("/v2/rooms/" + other + "/messages", new JsonObject().put("topic", "QNA").put("message", "x")).status());
        assertEquals(403, asVera.get(path + "?topic=CHAT").status(), "a viewer does not read the participants' chat");
        assertEquals(403, asVera.post("/v2/rooms", new JsonObject()).status());
        assertEquals(403, asVera.post("/v2/hls/" + hlsId + "/viewers", new JsonObject()).status(), "a viewer cannot mint viewers");
        JsonArray read = asVera.get(path).json().getJsonArray("data");
        assertTrue(read.stream().noneMatch(o -> "CHAT".equals(((JsonObject) o).getString("topic"))), read.encode());
        assertTrue(read.stream().anyMatch(o -> "POLL".equals(((JsonObject) o).getString("topic"))), "viewers see the poll: " + read.encode());

        // Rate-limited per viewer: Vera's flood does not silence the other viewer.
        int refused = 0;
        for (int i = 0; i < 12; i++) {
            if (asVera.post(path, new JsonObject().put("topic", "QNA").put("message", "again " + i)).status() == 429) refused++;
        }
        assertTrue(refused > 0, "a viewer's flood is cut");
        assertEquals(200, asUrl.post(path, new JsonObject().put("topic", "QNA").put("message", "me too")).status());

        for (int i = 0; i < 60 && veraSees.stream().noneMatch(j -> "me too".equals(j.getString("message"))); i++) Thread.sleep(50);
        assertTrue(veraSees.stream().anyMatch(j -> "me too".equals(j.getString("message"))), veraSees.toString());
        assertTrue(veraSees.stream().anyMatch(j -> "Tabs or spaces?".equals(j.getString("message"))), veraSees.toString());
        assertTrue(veraSees.stream().noneMatch(j -> "CHAT".equals(j.getString("topic"))), "the viewer's stream leaves out the chat: " + veraSees);
    }

    /**
     * message-published is opt-in: a room whose webhook names {@code message-published:QNA} gets the
     * questions and nothing else; one that takes "all events" gets none.
     */
    @Test
    void messagesGoToWebhooksThatAskForThem() throws Exception {
        try (WebhookReceiver asked = new WebhookReceiver(); WebhookReceiver all = new WebhookReceiver()) {
            String room = api.createRoom(new JsonObject().put("webhook", new JsonObject().put("url", asked.url())
                    .put("events", new JsonArray().add("message-published:QNA"))));
            String other = api.createRoom(new JsonObject().put("webhook", new JsonObject().put("url", all.url())));
            for (String r : List.of(room, other)) {
                api.post("/v2/rooms/" + r + "/participants", Tracks.join("ann", "Ann", Tracks.opus(r.equals(room) ? 95 : 96)));
                api.post("/v2/rooms/" + r + "/messages", new JsonObject().put("topic", "CHAT").put("message", "not a question").put("senderId", "ann"));
                api.post("/v2/rooms/" + r + "/messages", new JsonObject().put("topic", "QNA").put("message", "any questions?").put("senderId", "ann"));
            }
            JsonObject data = asked.await("message-published", 1, 10_000).get(0).json().getJsonObject("data");
            assertEquals("any questions?", data.getString("message"));
            assertEquals("QNA", data.getString("topic"));
            assertEquals(room, data.getString("roomId"));
            assertTrue(asked.deliveries().stream().filter(d -> d.type().equals("message-published")).count() == 1, "only QNA: " + asked.deliveries());
            assertEquals(400, api.post("/v2/rooms", new JsonObject().put("webhook", new JsonObject().put("url", asked.url())
                    .put("events", new JsonArray().add("message-published:bad topic")))).status());
            all.await("participant-joined", 1, 10_000);
            Thread.sleep(500);
            assertTrue(all.deliveries().stream().noneMatch(d -> d.type().equals("message-published")), "opt-in: " + all.deliveries());
        }
    }
}
