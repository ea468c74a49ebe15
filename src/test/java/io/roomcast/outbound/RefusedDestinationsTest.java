package io.roomcast.outbound;

import io.roomcast.Roomcast;
import io.roomcast.config.Config;
import io.roomcast.support.Api;
import io.roomcast.support.TestNode;
import io.roomcast.support.Tokens;
import io.roomcast.support.Tracks;
import io.roomcast.support.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an API user cannot make Roomcast dial, end to end on a node that allows only 127.0.0.1: a
 * name that resolves to a private address (a 400 at once, for every dialler), a name that rebinds
 * between the check and the dial, and a redirect. The private target is a real listener on
 * 127.0.0.2 that counts every connection made to it; it must see none.
 */
class RefusedDestinationsTest {
    @TempDir
    static Path data;
    static ServerSocket inside;
    static final AtomicInteger connections = new AtomicInteger();
    /** Lookups of rebind.roomcast.test so far: the first answers a public address, the later ones the private listener. */
    static final AtomicInteger rebindLookups = new AtomicInteger();
    static Roomcast node;
    static Api api;

    @BeforeAll
    static void start() throws Exception {
        inside = new ServerSocket();
        inside.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
        Thread accept = new Thread(() -> {
            while (!inside.isClosed()) {
                try (Socket s = inside.accept()) {
                    connections.incrementAndGet();
                } catch (IOException e) {
                    return;
                }
            }
        }, "inside-listener");
        accept.setDaemon(true);
        accept.start();
        var o = TestNode.defaults(data);
        o.put("webhooks.allowPrivateAddresses", false);
        o.put("outbound.allow", "127.0.0.1/32");
        o.put("sessions.graceSeconds", 0);
        node = Roomcast.start(Config.withOverrides(new HashMap<>(o)), RefusedDestinationsTest::lookup);
        api = new Api(node.httpPort(), Tokens.admin());
    }

    @AfterAll
    static void stop() throws Exception {
        if (node != null) node.close();
        inside.close();
    }

    static InetAddress[] lookup(String host) throws UnknownHostException {
        InetAddress privateListener = InetAddress.getByName("127.0.0.2");
        return switch (host) {
            case "inside.roomcast.test" -> new InetAddress[] {privateListener};
            case "rebind.roomcast.test" -> rebindLookups.incrementAndGet() == 1
                    ? new InetAddress[] {InetAddress.getByName("93.184.216.34")} : new InetAddress[] {privateListener};
            default -> InetAddress.getAllByName(host);
        };
    }

    static String at(String scheme, String host, String path) {
        return scheme + "://" + host + ":" + inside.getLocalPort() + path;
    }

    static void refused(Api.Response r, String field) {
        assertEquals(400, r.status(), r.body());
        assertEquals("forbidden_address", r.errorCode(), r.body());
        assertTrue(r.json().getJsonObject("error").getString("message").contains(field), "names " + field + ": " + r.body());
    }

    @Test
    void aNameThatResolvesToAPrivateAddressIsA400ForEveryDialler() throws Exception {
        String host = "inside.roomcast.test";
        refused(api.post("/v2/rooms", new JsonObject().put("webhook", new JsonObject().put("url", at("http", host, "/hook")))), "webhook.url");
        refused(api.post("/v2/rooms", new JsonObject().put("webhook", new JsonObject().put("endPoint", at("https", host, "/hook")))),
                "webhook.endPoint");
        String room = api.createRoom();
        api.join(room, "ann", "Ann", Tracks.opus(71));
        refused(api.post("/v2/livestreams/start", new JsonObject().put("roomId", room)
                .put("outputs", new JsonArray().add(new JsonObject().put("url", at("rtmp", host, "/live")).put("streamKey", "k")))),
                "outputs[0].url");
        refused(api.post("/v2/recordings/start", new JsonObject().put("roomId", room).put("preSignedUrl", at("http", host, "/put"))),
                "preSignedUrl");
        refused(api.post("/v2/hls/start", new JsonObject().put("roomId", room).put("webhookUrl", at("http", host, "/hook"))),
                "webhookUrl");
        refused(api.post("/v2/recordings/participant/start", new JsonObject().put("roomId", room).put("participantId", "ann")
                .put("webhookUrl", at("http", host, "/hook"))), "webhookUrl");
        // Nothing was started by the refused requests.
        assertEquals(0, api.get("/v2/recordings?roomId=" + room).json().getJsonArray("data").size());
        assertEquals(0, api.get("/v2/livestreams?roomId=" + room).json().getJsonArray("data").size());
        api.post("/v2/sessions/end", new JsonObject().put("roomId", room));
        Thread.sleep(300);
        assertEquals(0, connections.get(), "the private listener was never dialled");
    }

    @Test
    void aNameThatRebindsBetweenTheCheckAndTheDialIsNotDialled() throws Exception {
        double before = node.registry().counter("roomcast_webhooks_total", "result", "blocked").count();
        Api.Response created = api.post("/v2/rooms", new JsonObject().put("webhook", new JsonObject()
                .put("url", at("http", "rebind.roomcast.test", "/hook")).put("events", new JsonArray().add("session-started"))));
        assertEquals(200, created.status(), "public at the first lookup: " + created.body());
        String room = created.json().getString("roomId");
        api.join(room, "bo", "Bo", Tracks.opus(72));
        long deadline = System.currentTimeMillis() + 5000;
        while (System.currentTimeMillis() < deadline
                && node.registry().counter("roomcast_webhooks_total", "result", "blocked").count() < before + 1) {
            Thread.sleep(50);
        }
        assertEquals(before + 1, node.registry().counter("roomcast_webhooks_total", "result", "blocked").count(),
                "session-started was refused when its name had turned private");
        assertTrue(rebindLookups.get() >= 2, "looked up at creation and again at the dial: " + rebindLookups.get());
        api.post("/v2/sessions/end", new JsonObject().put("roomId", room));
        Thread.sleep(300);
        assertEquals(0, connections.get(), "the private listener was never dialled");
    }

    @Test
    void aRedirectToAPrivateAddressIsNotFollowed() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            receiver.answer(n -> 302);
            receiver.redirectTo(at("http", "127.0.0.2", "/hook"));
            String room = api.createRoom(new JsonObject().put("webhook", new JsonObject().put("url", receiver.url())
                    .put("events", new JsonArray().add("session-started"))));
            api.join(room, "cy", "Cy", Tracks.opus(73));
            long deadline = System.currentTimeMillis() + 5000;
            while (System.currentTimeMillis() < deadline && receiver.requests() < 2) Thread.sleep(50);
            assertTrue(receiver.requests() >= 2, "the 302 counts as a failed delivery and is retried: " + receiver.requests());
            api.post("/v2/sessions/end", new JsonObject().put("roomId", room));
            Thread.sleep(300);
            assertEquals(0, connections.get(), "the redirect's private target was never dialled");
        }
    }
}
