package io.roomcast.api;

import io.roomcast.Roomcast;
import io.roomcast.support.Api;
import io.roomcast.support.Participants;
import io.roomcast.support.TestNode;
import io.roomcast.support.Tokens;
import io.roomcast.support.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pages a node serves without a token (the console, the API explorer) and what they lean on: the
 * development token offered only to this machine's own pages, and a room's webhook deliveries.
 */
class ConsolePagesTest {
    @TempDir
    Path data;

    final HttpClient http = HttpClient.newHttpClient();

    HttpResponse<String> get(int port, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
        if (headers.length > 0) b.headers(headers);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theConsoleAndTheApiExplorerAreServedAndHoldNoData() throws Exception {
        try (Roomcast node = TestNode.start(data)) {
            int port = node.httpPort();
            HttpResponse<String> console = get(port, "/console/");
            assertEquals(200, console.statusCode());
            assertTrue(console.body().contains("Sign in with an API token"), console.body());
            assertEquals(200, get(port, "/console/console.js").statusCode());
            assertEquals(200, get(port, "/console/vendor/hls.min.js").statusCode());
            HttpResponse<String> docs = get(port, "/docs/");
            assertEquals(200, docs.statusCode());
            assertTrue(docs.body().contains("swagger-ui-bundle.js"), docs.body());
            HttpResponse<String> bundle = get(port, "/docs/swagger-ui-bundle.js");
            assertEquals(200, bundle.statusCode());
            assertTrue(bundle.body().contains("SwaggerUIBundle"), "Swagger UI's own file from its webjar");
            assertTrue(get(port, "/docs/docs.js").body().contains("/openapi.yaml"));
            HttpResponse<String> bare = get(port, "/docs");
            assertEquals(301, bare.statusCode());
            assertEquals("/docs/", bare.headers().firstValue("Location").orElse(""));
            // The data behind the pages still needs a token.
            assertEquals(401, get(port, "/v2/rooms").statusCode());
        }
    }

    @Test
    void aDevelopmentTokenIsOfferedOnlyToThisMachinesOwnPagesOnADevelopmentNode() throws Exception {
        try (Roomcast node = TestNode.start(data)) { // loopback, the development secret
            int port = node.httpPort();
            HttpResponse<String> offered = get(port, "/console/dev-token", "Sec-Fetch-Site", "same-origin");
            assertEquals(200, offered.statusCode(), offered.body());
            assertEquals("no-store", offered.headers().firstValue("Cache-Control").orElse(""));
            String token = new JsonObject(offered.body()).getString("token");
            assertEquals(200, new Api(port, token).get("/v2/rooms").status(), "the API takes it");
            // Another site's page in the same browser, and a DNS name rebound to 127.0.0.1, get nothing.
            HttpResponse<String> crossSite = get(port, "/console/dev-token", "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site");
            assertEquals(404, crossSite.statusCode());
            assertTrue(!crossSite.body().contains("token\""), crossSite.body());
            assertEquals(404, get(port, "/console/dev-token", "Sec-Fetch-Site", "cross-site").statusCode());
            assertEquals("not_found", new JsonObject(get(port, "/console/dev-token", "Origin", "http://rebound.example:" + port).body()).getJsonObject("error").getString("code"));
        }
        Map<String, Object> cfg = TestNode.defaults(data);
        cfg.put("auth.jwtSecret", "a-real-secret-of-a-deployment-0123456789");
        try (Roomcast node = TestNode.start(cfg)) {
            assertEquals(404, get(node.httpPort(), "/console/dev-token").statusCode(), "not with a real secret");
        }
    }

    @Test
    void aRoomsWebhookDeliveriesShowTheirStateAndAttempts() throws Exception {
        try (Roomcast node = TestNode.start(data); WebhookReceiver hooks = new WebhookReceiver()) {
            hooks.answer(n -> n == 1 ? 500 : 200); // the first attempt fails, the retry is taken
            Api api = new Api(node.httpPort(), Tokens.admin());
            String room = api.post("/v2/rooms", new JsonObject().put("webhook", new JsonObject().put("url", hooks.url())
                    .put("events", new JsonArray().add("participant-joined")))).json().getString("roomId");
            Participants.join(api, room, "ann", 21, 22, "vp8");
            hooks.await("participant-joined", 1, 10_000);
            JsonObject d = null;
            long deadline = System.currentTimeMillis() + 10_000;
            while (System.currentTimeMillis() < deadline) {
                d = api.get("/v2/rooms/" + room + "/webhooks/deliveries").json().getJsonArray("data").getJsonObject(0);
                if ("delivered".equals(d.getString("state"))) break;
                Thread.sleep(100);
            }
            assertEquals("participant-joined", d.getString("type"));
            assertEquals(hooks.url(), d.getString("url"));
            assertEquals("delivered", d.getString("state"), d.encode());
            assertEquals(2, d.getInteger("attempts"), d.encode());
            assertEquals(200, d.getInteger("lastStatus"));
            assertEquals(404, api.get("/v2/rooms/no-such-room/webhooks/deliveries").status());
        }
    }
}
