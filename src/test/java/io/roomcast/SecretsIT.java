package io.roomcast;

import io.roomcast.support.Api;
import io.roomcast.support.JarProcess;
import io.roomcast.support.RtpSender;
import io.roomcast.support.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * After a full session on the jar (webhooks, a recording, HLS, bad requests), the JWT secret, the
 * webhook secret and the S3 secret key are nowhere a user or an attacker can read: the log, error
 * bodies, API answers, /metrics, the webhooks, every object in the store and every file in the data
 * dir. The S3 access key id is an identifier, not a secret, but it too appears only where SigV4
 * puts it: the X-Amz-Credential of a presigned URL.
 */
class SecretsIT {
    static final String JWT = "jwt-LEAKCHECK-7f3a9c1e5b2d4f6a8c0e2b4d6f8a1c3e";
    static final String HOOK = "hook-LEAKCHECK-2b4d6f8a0c1e3a5c";
    static final String S3_SECRET = "s3secret-LEAKCHECK-9e8d7c6b5a";
    static final String S3_ACCESS = "s3access-LEAKCHECK";

    @TempDir
    Path work;

    @Test
    void noSecretLeaksFromAFullSession() throws Exception {
        Map<String, String> env = JarProcess.env(work.resolve("data"), JWT);
        env.put("ROOMCAST_WEBHOOK_SECRET", HOOK);
        env.put("ROOMCAST_S3_SECRET_KEY", S3_SECRET);
        env.put("ROOMCAST_S3_ACCESS_KEY", S3_ACCESS);
        int rtp = Integer.parseInt(env.get("ROOMCAST_RTP_PORT"));
        Map<String, String> seen = new LinkedHashMap<>(); // where -> what it showed
        String log;
        try (JarProcess node = JarProcess.start(work, env); WebhookReceiver hooks = new WebhookReceiver();
             RtpSender a = RtpSender.opus(rtp, 81, 111);
             RtpSender v = RtpSender.video(rtp, 82, 96, "vp8", 640, 360).talkingHead()) {
            Process mint = JarProcess.command(work, env, "token").start();
            String token = new String(mint.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            assertTrue(mint.waitFor(30, TimeUnit.SECONDS));
            Api api = new Api(node.httpPort, token);
            Api.Response room = api.post("/v2/rooms", new JsonObject().put("webhook", new JsonObject().put("url", hooks.url())));
            assertEquals(200, room.status(), room.body());
            String roomId = room.json().getString("roomId");
            seen.put("room", room.body());
            Api.Response joined = api.post("/v2/rooms/" + roomId + "/participants", new JsonObject().put("participantId", "p1")
                    .put("name", "P One").put("tracks", new JsonArray()
                            .add(new JsonObject().put("kind", "audio").put("codec", "opus").put("ssrc", 81).put("payloadType", 111))
                            .add(new JsonObject().put("kind", "video").put("codec", "vp8").put("ssrc", 82).put("payloadType", 96))));
            assertEquals(200, joined.status(), joined.body());
            seen.put("join", joined.body());
            a.startTestSignal(40);
            v.startTestSignal(40);
            Api.Response rec = api.post("/v2/recordings/start", new JsonObject().put("roomId", roomId).put("preset", "grid-360p"));
            assertEquals(200, rec.status(), rec.body());
            String recId = rec.json().getString("id");
            Api.Response hls = api.post("/v2/hls/start", new JsonObject().put("roomId", roomId));
            assertEquals(200, hls.status(), hls.body());
            seen.put("hls start", hls.body());
            // What a careless or hostile caller gets back.
            List<Api.Response> errors = new ArrayList<>(List.of(
                    api.as("not-a-token").get("/v2/rooms"),
                    api.as(token.substring(0, token.length() - 4) + "AAAA").get("/v2/rooms"),
                    api.send("POST", "/v2/rooms", "{not json", "application/json"),
                    api.post("/v2/rooms", new JsonObject().put("webhook", new JsonObject().put("url", "http://169.254.169.254/"))),
                    api.post("/v2/recordings/start", new JsonObject().put("roomId", roomId)),
                    api.post("/v2/recordings/start", new JsonObject().put("roomId", roomId).put("awsDirPath", "../../etc")),
                    api.get("/v2/recordings/does-not-exist"),
                    api.post("/v2/livestreams/start", new JsonObject().put("roomId", roomId)
                            .put("outputs", new JsonArray().add(new JsonObject().put("url", "rtmp://127.0.0.1:9/live"))))));
            for (int i = 0; i < errors.size(); i++) seen.put("answer " + i, errors.get(i).status() + " " + errors.get(i).body());
            Thread.sleep(8000);
            seen.put("recording stop", api.post("/v2/recordings/end", new JsonObject().put("roomId", roomId)).body());
            seen.put("hls stop", api.post("/v2/hls/end", new JsonObject().put("roomId", roomId)).body());
            assertTrue(seen.get("recording stop").contains("stop"), seen.get("recording stop"));
            try {
                JarIT.waitForRecording(api, recId, "stopped", 60_000);
            } catch (AssertionError e) {
                throw new AssertionError(seen.get("recording stop") + "\n" + node.log(), e);
            }
            api.post("/v2/sessions/end", new JsonObject().put("roomId", roomId));
            hooks.await("recording-stopped", 1, 30_000);
            hooks.await("session-ended", 1, 30_000);
            for (String path : new String[] {"/v2/recordings/" + recId, "/v2/recordings?roomId=" + roomId, "/v2/hls?roomId=" + roomId,
                    "/v2/livestreams?roomId=" + roomId, "/v2/sessions?roomId=" + roomId, "/v2/rooms", "/metrics", "/ready",
                    "/openapi.yaml"}) {
                seen.put(path, api.get(path).body());
            }
            for (WebhookReceiver.Delivery d : hooks.deliveries()) seen.put("webhook " + d.id(), d.body() + " " + d.signature());
            URI s3 = URI.create("http://127.0.0.1:" + env.get("ROOMCAST_S3_PORT"));
            try (S3Client client = S3Client.builder().endpointOverride(s3).region(Region.US_EAST_1).forcePathStyle(true)
                    .httpClient(UrlConnectionHttpClient.create())
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(S3_ACCESS, S3_SECRET))).build()) {
                List<S3Object> objects = client.listObjectsV2Paginator(b -> b.bucket("roomcast")).contents().stream().toList();
                assertTrue(objects.stream().anyMatch(o -> o.key().endsWith(".mp4")), "the recording is in the store");
                assertTrue(objects.stream().anyMatch(o -> o.key().startsWith("meta/")), "so are the manifests");
                for (S3Object o : objects) {
                    seen.put("s3 " + o.key(), new String(client.getObjectAsBytes(b -> b.bucket("roomcast").key(o.key())).asByteArray(),
                            StandardCharsets.ISO_8859_1));
                }
            }
            int code = node.terminate();
            assertTrue(code == 0 || code == 143, "exit code " + code);
            log = node.log();
        }
        seen.put("log", log);
        try (Stream<Path> files = Files.walk(work)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                seen.put("file " + work.relativize(f), new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
            }
        }
        assertTrue(seen.get("/metrics").contains("roomcast_webhooks_total"), "metrics were read");
        assertTrue(log.contains("Roomcast stopped"), "the whole log was read");
        List<String> leaks = new ArrayList<>();
        for (Map.Entry<String, String> e : seen.entrySet()) {
            for (String secret : new String[] {JWT, HOOK, S3_SECRET}) {
                if (e.getValue().contains(secret)) leaks.add(secret.substring(0, secret.indexOf('-')) + " in " + e.getKey());
            }
            // SigV4 names the access key in X-Amz-Credential (URL-encoded); nowhere else.
            if (e.getValue().replace("X-Amz-Credential=" + S3_ACCESS, "").contains(S3_ACCESS)) leaks.add("s3 access key in " + e.getKey());
        }
        assertTrue(leaks.isEmpty(), "secrets found: " + leaks);
        assertTrue(seen.size() > 20, "looked in " + seen.size() + " places");
    }
}
