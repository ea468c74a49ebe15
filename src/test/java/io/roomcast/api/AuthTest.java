package io.roomcast.api;

import io.roomcast.Roomcast;
import io.roomcast.support.Api;
import io.roomcast.support.ClusterKeys;
import io.roomcast.support.NodeExtension;
import io.roomcast.support.TestNode;
import io.roomcast.support.Tokens;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every /v2 route needs a valid, unexpired HS256 token; room-limited tokens stay in their room. */
class AuthTest {
    @RegisterExtension
    static final NodeExtension NODE = new NodeExtension();
    @TempDir
    static Path data;
    static Api admin;
    static String roomA;
    static String roomB;

    @BeforeAll
    static void start() throws Exception {
        roomA = admin.post("/v2/rooms", new JsonObject()).json().getString("roomId");
        roomB = admin.post("/v2/rooms", new JsonObject()).json().getString("roomId");
    }

    private static void assertUnauthorized(Api.Response r) {
        assertEquals(401, r.status(), r.body());
        assertEquals("unauthorized", r.errorCode());
        assertEquals("Bearer", r.raw().headers().firstValue("WWW-Authenticate").orElse(null));
    }

    /** The console's static pages hold no data: served without a token, nothing outside them, no listing. */
    @Test
    void consolePagesAreServedWithoutATokenAndNothingElseIs() {
        Api anyone = admin.as(null);
        Api.Response page = anyone.get("/console/player.html");
        assertEquals(200, page.status());
        assertTrue(page.body().contains("vendor/hls.min.js"), page.body());
        assertEquals("no-referrer", page.raw().headers().firstValue("Referrer-Policy").orElse(null), "the token in the page's URL stays there");
        Api.Response hlsJs = anyone.get("/console/vendor/hls.min.js");
        assertEquals(200, hlsJs.status());
        assertTrue(hlsJs.body().length() > 100_000 && hlsJs.body().contains("lowLatencyMode"), "hls.js from npm is in the jar");
        assertEquals(404, anyone.get("/console/vendor/").status(), "no directory listing");
        assertEquals(404, anyone.get("/console/../config/roomcast.json").status());
        assertEquals(404, anyone.get("/console/%2e%2e/config/roomcast.json").status());
        assertUnauthorized(anyone.get("/v2/hls"));
    }

    @Test
    void missingTokenIsRefused() {
        assertUnauthorized(admin.as(null).get("/v2/rooms"));
        assertUnauthorized(admin.as(null).post("/v2/rooms", new JsonObject()));
        assertUnauthorized(admin.as(null).get("/ai/v1/realtime-transcriptions?roomId=" + roomA));
        assertUnauthorized(admin.as(null).post("/ai/v1/realtime-transcriptions/start", new JsonObject().put("roomId", roomA)));
        Api.Response basic = admin.as(null).send("GET", "/v2/rooms", null, null);
        assertUnauthorized(basic);
    }

    @Test
    void garbageAndForgedTokensAreRefused() {
        assertUnauthorized(admin.as("not-a-jwt").get("/v2/rooms"));
        assertUnauthorized(admin.as(Tokens.hs256("some-other-secret-that-is-long-enough-to-sign", Tokens.claims(600)))
                .get("/v2/rooms"));
        String valid = Tokens.admin();
        String tampered = valid.substring(0, valid.lastIndexOf('.')) + ".AAAA" + valid.substring(valid.lastIndexOf('.') + 5);
        assertUnauthorized(admin.as(tampered).get("/v2/rooms"));
    }

    @Test
    void expiredUnsignedAndExpLessTokensAreRefused() {
        assertUnauthorized(admin.as(Tokens.hs256(Tokens.DEV_SECRET, Tokens.claims(-60))).get("/v2/rooms"));
        assertUnauthorized(admin.as(Tokens.unsigned(Tokens.claims(600))).get("/v2/rooms"));
        JsonObject noExp = Tokens.claims(600);
        noExp.remove("exp");
        assertUnauthorized(admin.as(Tokens.hs256(Tokens.DEV_SECRET, noExp)).get("/v2/rooms"));
    }

    @Test
    void roomTokenReachesOnlyItsRoom() {
        Api limited = admin.as(Tokens.forRoom(roomA));
        Api.Response own = limited.get("/v2/rooms/" + roomA);
        assertEquals(200, own.status(), own.body());
        Api.Response other = limited.get("/v2/rooms/" + roomB);
        assertEquals(403, other.status(), other.body());
        assertEquals("forbidden", other.errorCode());
        assertEquals(403, limited.post("/v2/rooms", new JsonObject()).status());
        assertEquals(403, limited.post("/v2/rooms/" + roomB + "/participants", new JsonObject()).status());
        assertEquals(403, limited.get("/v2/sessions?roomId=" + roomB).status());
        assertEquals(403, limited.post("/v2/sessions/end", new JsonObject().put("roomId", roomB)).status());
        assertEquals(403, limited.get("/v2/rooms/" + roomB + "/captions").status());
        // Listing shows its own room only.
        JsonObject list = limited.get("/v2/rooms").json();
        assertEquals(1, list.getJsonArray("data").size());
        assertEquals(roomA, list.getJsonArray("data").getJsonObject(0).getString("roomId"));
    }

    @Test
    void requestsPerTokenAreRateLimited() throws Exception {
        var o = TestNode.defaults(data.resolve("limited"));
        o.put("limits.apiRequestsPerSecondPerToken", 5);
        try (Roomcast small = TestNode.start(o)) {
            Api busy = new Api(small.httpPort(), Tokens.admin());
            int limited = 0;
            for (int i = 0; i < 30; i++) {
                Api.Response r = busy.get("/v2/rooms");
                if (r.status() == 429) {
                    limited++;
                    assertEquals("rate_limited", r.errorCode());
                    assertEquals("1", r.raw().headers().firstValue("Retry-After").orElse(null));
                } else {
                    assertEquals(200, r.status());
                }
            }
            assertTrue(limited >= 15, "a burst of 30 against 5/s (10 in the bucket): " + limited + " refused");
            assertEquals(200, busy.as(Tokens.forRoom("other")).get("/v2/rooms").status(), "another token has its own budget");
            Thread.sleep(1100);
            assertEquals(200, busy.get("/v2/rooms").status(), "the bucket refills");
        }
    }

    /**
     * Rotating the secret without downtime: the new secret signs, tokens of the previous one keep
     * working until auth.previousJwtSecret is emptied, and a token of any other secret is refused.
     */
    @Test
    void tokensOfThePreviousSecretWorkWhileItIsRotated() throws Exception {
        String next = "roomcast-rotation-test-next-secret-0123456789";
        var o = TestNode.defaults(data.resolve("rotating"));
        o.put("auth.jwtSecret", next);
        o.put("auth.previousJwtSecret", Tokens.DEV_SECRET);
        try (Roomcast rotating = TestNode.start(o)) {
            Api old = new Api(rotating.httpPort(), Tokens.admin());
            assertEquals(200, old.get("/v2/rooms").status(), "a token of the previous secret still works");
            assertEquals(200, old.as(Tokens.hs256(next, Tokens.claims(600))).get("/v2/rooms").status());
            assertUnauthorized(old.as(Tokens.hs256("some-third-secret-that-is-long-enough-to-sign", Tokens.claims(600)))
                    .get("/v2/rooms"));
            assertUnauthorized(old.as(Tokens.hs256(Tokens.DEV_SECRET, Tokens.claims(-60))).get("/v2/rooms"));
        }
        o.put("auth.previousJwtSecret", "");
        try (Roomcast rotated = TestNode.start(o)) {
            assertUnauthorized(new Api(rotated.httpPort(), Tokens.admin()).get("/v2/rooms"));
        }
    }

    /**
     * http.keyStore puts the API on HTTPS (no proxy needed): a client trusting the certificate gets
     * its answers, HLS URLs say https, and plain HTTP on the port gets nothing.
     */
    @Test
    void aKeyStoreServesTheApiOverHttps() throws Exception {
        Path store = ClusterKeys.generate(data, "https");
        var o = TestNode.defaults(data.resolve("https-node"));
        o.put("http.keyStore", store.toString());
        o.put("http.keyStorePassword", ClusterKeys.PASSWORD);
        try (Roomcast tls = TestNode.start(o)) {
            KeyStore trusted = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                trusted.load(in, ClusterKeys.PASSWORD.toCharArray());
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trusted);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            HttpsURLConnection c = (HttpsURLConnection) URI.create("https://127.0.0.1:" + tls.httpPort() + "/v2/rooms").toURL().openConnection();
            c.setSSLSocketFactory(ssl.getSocketFactory());
            c.setHostnameVerifier((host, session) -> true); // keytool's certificate names CN=https, not 127.0.0.1
            c.setRequestProperty("Authorization", "Bearer " + Tokens.admin());
            assertEquals(200, c.getResponseCode());
            assertTrue(new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8).contains("\"data\""));
            Api plain = new Api(tls.httpPort(), Tokens.admin());
            assertThrows(Throwable.class, () -> plain.get("/v2/rooms"), "plain HTTP is not served on an HTTPS port");
        }
    }

    @Test
    void operationsEndpointsNeedNoToken() {
        Api anonymous = admin.as(null);
        assertEquals(200, anonymous.get("/health").status());
        Api.Response ready = anonymous.get("/ready");
        assertEquals(200, ready.status(), ready.body());
        Api.Response metrics = anonymous.get("/metrics");
        assertEquals(200, metrics.status());
        assertTrue(metrics.body().contains("roomcast_rooms"), "metrics list the room gauge");
        assertTrue(metrics.body().contains("vertx_http_server_requests_total"), "metrics include Vert.x HTTP");
        Api.Response spec = anonymous.get("/openapi.yaml");
        assertEquals(200, spec.status());
        assertNotNull(spec.raw().headers().firstValue("Content-Type").filter(s -> s.contains("yaml")).orElse(null));
    }
}
