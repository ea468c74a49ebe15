package io.roomcast.messages;

import io.roomcast.Roomcast;
import io.roomcast.support.Api;
import io.roomcast.support.Sse;
import io.roomcast.support.TestNode;
import io.roomcast.support.Tokens;
import io.roomcast.support.Tracks;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Messages as users of VideoSDK's PubSub use them: two participants chat and every stream (two SSE
 * clients, a WebSocket) sees it; a poll is answered and tallied; bad input gets a 4xx and loses
 * nothing accepted; the persisted messages are in the store within a second, at
 * {@code messages/{roomId}/{sessionId}.json}, and known again after a restart.
 */
class MessagesTest {
    @TempDir
    Path data;

    @Test
    void participantsChatPollAndTheMessagesSurviveARestart() throws Exception {
        Map<String, Object> config = TestNode.defaults(data);
        config.put("sessions.graceSeconds", 60);
        config.put("messages.perSenderPerSecond", 5);
        config.put("messages.maxMessageChars", 500);
        String room;
        String session;
        try (Roomcast node = TestNode.start(config)) {
            Api api = new Api(node.httpPort(), Tokens.admin());
            room = api.createRoom();
            String path = "/v2/rooms/" + room + "/messages";
            Api.Response none = api.post(path, chat("ann", "too early"));
            assertEquals(409, none.status(), none.body());
            assertEquals("no_session", none.errorCode());
            session = api.post("/v2/rooms/" + room + "/participants", Tracks.join("ann", "Ann", Tracks.opus(71))).json().getString("sessionId");
            api.post("/v2/rooms/" + room + "/participants", Tracks.join("bob", "Bob", Tracks.opus(72)));

            List<JsonObject> sse1 = Sse.open(node.httpPort(), path + "?token=" + Tokens.forRoom(room));
            List<JsonObject> sse2 = Sse.open(node.httpPort(), path + "?topic=CHAT&token=" + Tokens.forRoom(room));
            List<JsonObject> socket = new CopyOnWriteArrayList<>();
            WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:"
                    + node.httpPort() + path + "/ws?token=" + Tokens.forRoom(room)), new WebSocket.Listener() {
                @Override
                public CompletionStage<?> onText(WebSocket w, CharSequence text, boolean last) {
                    socket.add(new JsonObject(text.toString()));
                    w.request(1);
                    return null;
                }
            }).join();

            JsonObject hello = api.post(path, chat("ann", "hello Bob").put("senderName", "Ann")).json();
            assertEquals("CHAT", hello.getString("topic"));
            assertEquals("ann", hello.getString("senderId"));
            assertEquals("Ann", hello.getString("senderName"));
            assertTrue(hello.getString("id").matches("[0-9a-f]{24}") && hello.getString("timestamp").endsWith("Z"), hello.encode());
            ws.sendText(chat("bob", "hi Ann").put("senderName", "Bob").encode(), true).join();
            JsonObject ack = waitFor(socket, j -> j.containsKey("published"), "the WebSocket publish is acknowledged");
            assertEquals("hi Ann", ack.getJsonObject("published").getString("message"));
            api.post(path, new JsonObject().put("topic", "REACTION").put("message", "clap").put("senderId", "bob")); // not persisted

            // A poll: Ann asks, Ann and Bob answer, Bob changes his mind.
            JsonObject poll = api.post(path, new JsonObject().put("topic", "POLL").put("message", "Ship on Friday?").put("senderId", "ann")
                    .put("persist", true).put("payload", new JsonObject().put("options", new JsonArray().add("yes").add("no")))).json();
            String pollId = poll.getString("id");
            assertEquals(200, api.post(path, answer("ann", pollId, "yes")).status());
            assertEquals(200, api.post(path, answer("bob", pollId, "yes")).status());
            Api.Response wrong = api.post(path, answer("bob", pollId, "maybe"));
            assertEquals(400, wrong.status(), wrong.body());
            assertEquals(404, api.post(path, answer("bob", "0123456789abcdef01234567", "yes")).status());
            assertEquals(200, api.post(path, answer("bob", pollId, "no")).status());
            JsonObject tally = api.get("/v2/rooms/" + room + "/polls/" + pollId).json();
            assertEquals(2, tally.getInteger("total"), tally.encode());
            assertEquals(1, tally.getJsonArray("options").getJsonObject(0).getInteger("votes"), tally.encode());
            assertEquals(1, tally.getJsonArray("options").getJsonObject(1).getInteger("votes"), tally.encode());

            // Bad input: each a 4xx with a JSON error, and nothing accepted before is lost.
            assertEquals("message_too_long", api.post(path, chat("ann", "x".repeat(501))).errorCode());
            assertEquals(400, api.post(path, new JsonObject().put("message", "no topic")).status());
            assertEquals(400, api.post(path, new JsonObject().put("topic", "bad topic!").put("message", "x")).status());
            assertEquals(400, api.post(path, chat("ann", "x").put("payload", "not an object")).status());
            assertEquals(400, api.post(path, chat("ann", "x").put("payload", new JsonObject().put("blob", "y".repeat(9000)))).status());
            assertEquals(404, api.post("/v2/rooms/no-such-room/messages", chat("ann", "x")).status());
            int accepted = 0;
            int refused = 0;
            String lastAccepted = null;
            for (int i = 0; i < 30; i++) { // a flood from one sender
                Api.Response r = api.post(path, chat("carl", "flood " + i));
                if (r.status() == 200) {
                    accepted++;
                    lastAccepted = "flood " + i;
                }
                else if (r.status() == 429 && "rate_limited".equals(r.errorCode())) refused++;
            }
            assertTrue(refused > 0 && accepted >= 5, "a flood is cut at the sender's rate: " + accepted + " accepted, " + refused + " refused");
            JsonArray chats = api.get(path + "?topic=CHAT").json().getJsonArray("data");
            assertEquals(2 + accepted, chats.size(), chats.encode());
            assertEquals("hello Bob", chats.getJsonObject(0).getString("message"));
            assertEquals("hi Ann", chats.getJsonObject(1).getString("message"));
            long firstMillis = chats.getJsonObject(0).getLong("sessionMillis");
            long later = chats.stream().filter(o -> ((JsonObject) o).getLong("sessionMillis") > firstMillis).count();
            assertTrue(later < chats.size());
            assertEquals(later, api.get(path + "?topic=CHAT&since=" + firstMillis).json().getJsonArray("data").size(), "since is exclusive");

            // Every stream saw the messages live, in order; the CHAT-only stream saw only chats.
            String last = lastAccepted;
            waitFor(sse1, j -> last.equals(j.getString("message")), "the SSE stream saw the last message");
            waitFor(sse2, j -> last.equals(j.getString("message")), "the CHAT stream saw the last message");
            assertTrue(sse1.stream().anyMatch(j -> "REACTION".equals(j.getString("topic"))), "unpersisted messages are delivered live");
            assertTrue(sse2.stream().allMatch(j -> "CHAT".equals(j.getString("topic"))), sse2.toString());
            assertEquals(List.of("hello Bob", "hi Ann"), sse2.stream().limit(2).map(j -> j.getString("message")).toList());
            waitFor(socket, j -> j.containsKey("message") && "POLL".equals(j.getJsonObject("message").getString("topic")), "the socket saw the poll");
            ws.sendText("not json", true).join();
            waitFor(socket, j -> j.containsKey("error"), "a bad frame is answered with an error, the socket stays open");
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();

            // In the store within about a second, while the session goes on (a crash loses at most that second).
            Thread.sleep(1500);
            JsonObject stored = stored(node, room, session);
            assertEquals(2 + 1 + accepted, stored.getJsonArray("messages").size(), "chats and the poll: " + stored.encode());
            api.post(path, chat("ann", "last words before the restart"));
        }

        try (Roomcast node = TestNode.start(config)) {
            Api api = new Api(node.httpPort(), Tokens.admin());
            String path = "/v2/rooms/" + room + "/messages";
            JsonArray again = api.get(path + "?topic=CHAT").json().getJsonArray("data");
            assertEquals("last words before the restart", again.getJsonObject(again.size() - 1).getString("message"),
                    "a stop writes what came in its last second");
            assertEquals(200, api.post(path, chat("bob", "after the restart")).status());
            assertEquals(again.size() + 1, api.get(path + "?topic=CHAT").json().getJsonArray("data").size(),
                    "the session's log was read back before the new message");
            String pollId = api.get(path + "?topic=POLL").json().getJsonArray("data").getJsonObject(0).getString("id");
            assertEquals(2, api.get("/v2/rooms/" + room + "/polls/" + pollId).json().getInteger("total"), "the tally survives");
            api.post("/v2/sessions/end", new JsonObject().put("roomId", room));
            Thread.sleep(1500);
            JsonObject stored = stored(node, room, session);
            assertEquals("after the restart", stored.getJsonArray("messages").getJsonObject(stored.getJsonArray("messages").size() - 1)
                    .getString("message"));
            assertEquals(again.size() + 1, api.get(path + "?topic=CHAT&sessionId=" + session).json().getJsonArray("data").size(),
                    "an ended session's messages are read from the store");
            assertEquals(409, api.post(path, chat("ann", "the session ended")).status());
        }
    }

    private static JsonObject chat(String sender, String text) {
        return new JsonObject().put("topic", "CHAT").put("message", text).put("senderId", sender).put("persist", true);
    }

    private static JsonObject answer(String sender, String pollId, String option) {
        return new JsonObject().put("topic", "POLL_RESPONSE").put("message", option).put("senderId", sender)
                .put("payload", new JsonObject().put("pollId", pollId).put("option", option));
    }

    private static JsonObject waitFor(List<JsonObject> events, Predicate<JsonObject> p, String what) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            for (JsonObject j : events) if (p.test(j)) return j;
            Thread.sleep(50);
        }
        throw new AssertionError(what + ": " + events);
    }

    /** The session's messages as an outside S3 client reads them. */
    private static JsonObject stored(Roomcast node, String room, String session) {
        try (S3Client s3 = S3Client.builder().endpointOverride(node.s3Endpoint()).region(Region.US_EAST_1).forcePathStyle(true)
                .httpClient(UrlConnectionHttpClient.create())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("roomcast-dev", "roomcast-dev-secret-key")))
                .build()) {
            return new JsonObject(s3.getObjectAsBytes(b -> b.bucket("roomcast").key("messages/" + room + "/" + session + ".json")).asUtf8String());
        }
    }
}
