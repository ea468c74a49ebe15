package io.roomcast.events;

import io.roomcast.Roomcast;
import io.roomcast.support.Api;
import io.roomcast.support.NodeExtension;
import io.roomcast.support.TestNode;
import io.roomcast.support.Tokens;
import io.roomcast.support.Tracks;
import io.roomcast.support.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Webhooks arrive signed, in order, are retried on failure, and never hold up the API. */
class WebhookTest {
    static final String SECRET = "webhook-test-secret-0123456789";
    @RegisterExtension
    static final NodeExtension NODE = NodeExtension.withConfig(o -> {
        o.put("webhooks.secret", SECRET);
        o.put("webhooks.maxAttempts", 4);
        o.put("webhooks.timeoutMs", 500);
        o.put("sessions.graceSeconds", 0);
    });
    @TempDir
    static Path data;
    static Api api;
    WebhookReceiver receiver;

    @BeforeEach
    void receiver() throws Exception {
        receiver = new WebhookReceiver();
    }

    @AfterEach
    void closeReceiver() {
        receiver.close();
    }

    /** What a receiver does: recompute the HMAC over the raw body with the shared secret. */
    static boolean verify(WebhookReceiver.Delivery d) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String expected = "sha256=" + HexFormat.of().formatHex(mac.doFinal(d.body().getBytes(StandardCharsets.UTF_8)));
        return expected.equals(d.signature());
    }

    String roomWithHook(JsonObject webhook) {
        Api.Response r = api.post("/v2/rooms", new JsonObject().put("webhook", webhook));
        assertEquals(200, r.status(), r.body());
        return r.json().getString("roomId");
    }

    static JsonObject participant(String id, long ssrc) {
        return Tracks.join(id, id.toUpperCase(), Tracks.opus(ssrc));
    }

    @Test
    void sessionAndParticipantEventsArriveSigned() throws Exception {
        String room = roomWithHook(new JsonObject().put("url", receiver.url()));
        String sessionId = api.post("/v2/rooms/" + room + "/participants", participant("ann", 61)).json().getString("sessionId");
        api.delete("/v2/rooms/" + room + "/participants/ann");

        receiver.await("session-ended", 1, 5000);
        List<WebhookReceiver.Delivery> all = receiver.deliveries();
        assertEquals(List.of("session-started", "participant-joined", "participant-left", "session-ended"),
                all.stream().map(WebhookReceiver.Delivery::type).toList());
        for (WebhookReceiver.Delivery d : all) {
            assertTrue(verify(d), "signature verifies for " + d.type());
            JsonObject payload = d.json().getJsonObject("data");
            assertEquals(room, payload.getString("roomId"));
            assertEquals(sessionId, payload.getString("sessionId"));
        }
        JsonObject joined = all.get(1).json().getJsonObject("data");
        assertEquals("ann", joined.getString("participantId"));
        assertEquals("ANN", joined.getString("name"));
        // A forged body does not verify.
        WebhookReceiver.Delivery forged = new WebhookReceiver.Delivery(all.get(0).body().replace(room, "other"),
                all.get(0).signature(), null, 1, 0);
        assertTrue(!verify(forged));
    }

    @Test
    void failedDeliveriesAreRetriedWithBackoff() {
        receiver.answer(n -> n <= 2 ? 503 : 200);
        String room = roomWithHook(new JsonObject().put("url", receiver.url())
                .put("events", new JsonArray().add("session-started")));
        api.post("/v2/rooms/" + room + "/participants", participant("bo", 62));
        WebhookReceiver.Delivery d = receiver.await("session-started", 1, 5000).get(0);
        assertEquals(3, d.attempt(), "delivered on the third attempt after two 503s");
        assertEquals(3, receiver.requests());
        api.post("/v2/sessions/end", new JsonObject().put("roomId", room));
    }

    @Test
    void eventFilterLimitsWhatIsSent() throws Exception {
        String room = roomWithHook(new JsonObject().put("url", receiver.url())
                .put("events", new JsonArray().add("session-ended")));
        api.post("/v2/rooms/" + room + "/participants", participant("cy", 63));
        api.post("/v2/sessions/end", new JsonObject().put("roomId", room));
        receiver.await("session-ended", 1, 5000);
        Thread.sleep(300);
        assertEquals(List.of("session-ended"), receiver.deliveries().stream().map(WebhookReceiver.Delivery::type).toList());
    }

    @Test
    void internalAddressesAreRefusedWhenConfigSaysSo() throws Exception {
        var o = TestNode.defaults(data.resolve("strict"));
        o.put("webhooks.allowPrivateAddresses", false);
        o.put("outbound.allow", "");
        try (Roomcast strict = TestNode.start(o)) {
            Api a = new Api(strict.httpPort(), Tokens.admin());
            for (String literal : new String[] {"http://127.0.0.1:9/h", "http://10.0.0.7/h", "http://[::1]/h",
                    "http://169.254.169.254/latest/meta-data", "http://localhost/h", "http://192.168.1.1/h"}) {
                Api.Response r = a.post("/v2/rooms", new JsonObject().put("webhook", new JsonObject().put("url", literal)));
                assertEquals(400, r.status(), literal + " " + r.body());
                assertEquals("forbidden_address", r.errorCode());
            }
            // A name that resolves (see test-hosts) to a private address is refused like the address.
            Api.Response named = a.post("/v2/rooms", new JsonObject().put("webhook",
                    new JsonObject().put("url", "http://intranet.roomcast.test:9/hook")));
            assertEquals(400, named.status(), named.body());
            assertEquals("forbidden_address", named.errorCode());
            assertTrue(named.body().contains("10.20.30.40"), named.body());
            assertEquals(0, strict.registry().counter("roomcast_webhooks_total", "result", "retried").count());
        }
    }

    /**
     * The shipped config, even with the development switch on: the cloud metadata service and other
     * never-dialled addresses are refused, with a 400 naming the field, for every dialler (webhooks,
     * RTMP, preSignedUrl) before anything is dialled.
     */
    @Test
    void theMetadataServiceIsRefusedWhateverTheConfig() throws Exception {
        var o = TestNode.defaults(data.resolve("dev"));
        o.put("webhooks.allowPrivateAddresses", true);
        try (Roomcast dev = TestNode.start(o)) {
            Api a = new Api(dev.httpPort(), Tokens.admin());
            String room = a.createRoom();
            for (String url : new String[] {"http://169.254.169.254/latest/meta-data/", "http://[fe80::a9fe:a9fe]/", "http://0.0.0.0:9/h",
                    "http://metadata.google.internal/computeMetadata/v1/"}) {
                Api.Response hook = a.post("/v2/rooms", new JsonObject().put("webhook", new JsonObject().put("url", url)));
                assertEquals(400, hook.status(), url + " " + hook.body());
                assertEquals("forbidden_address", hook.errorCode());
            }
            Api.Response rtmp = a.post("/v2/livestreams/start", new JsonObject().put("roomId", room)
                    .put("outputs", new JsonArray().add(new JsonObject().put("url", "rtmp://169.254.169.254/live"))));
            assertEquals(400, rtmp.status(), rtmp.body());
            assertEquals("forbidden_address", rtmp.errorCode());
            Api.Response upload = a.post("/v2/recordings/start", new JsonObject().put("roomId", room)
                    .put("preSignedUrl", "http://169.254.169.254/upload"));
            assertEquals(400, upload.status(), upload.body());
            assertEquals("forbidden_address", upload.errorCode());
        }
    }

    @Test
    void aSlowReceiverNeverBlocksTheApi() {
        receiver.delay(3000); // longer than the 500 ms webhook timeout
        String room = roomWithHook(new JsonObject().put("url", receiver.url()));
        long t0 = System.nanoTime();
        for (int i = 0; i < 10; i++) {
            Api.Response r = api.post("/v2/rooms/" + room + "/participants", participant("slow" + i, 700 + i));
            assertEquals(200, r.status(), r.body());
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 2000, "10 joins took " + ms + " ms while the receiver hangs");
        api.post("/v2/sessions/end", new JsonObject().put("roomId", room));
    }
}
