package io.roomcast.support;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/** Mints JWTs by hand (not through Vert.x), as a client of the API would. */
public final class Tokens {
    public static final String DEV_SECRET = "roomcast-development-secret-do-not-use-in-production";

    private Tokens() {
    }

    private static String b64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    public static String hs256(String secret, JsonObject claims) {
        String header = b64(new JsonObject().put("alg", "HS256").put("typ", "JWT").encode().getBytes(StandardCharsets.UTF_8));
        String payload = b64(claims.encode().getBytes(StandardCharsets.UTF_8));
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] sig = mac.doFinal((header + "." + payload).getBytes(StandardCharsets.UTF_8));
            return header + "." + payload + "." + b64(sig);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static JsonObject claims(long expiresInSeconds) {
        return new JsonObject().put("apikey", "test-key")
                .put("permissions", new JsonArray().add("allow_join").add("allow_mod"))
                .put("exp", Instant.now().getEpochSecond() + expiresInSeconds);
    }

    /** A valid token for every room. */
    public static String admin() {
        return hs256(DEV_SECRET, claims(3600));
    }

    /** A valid token limited to one room. */
    public static String forRoom(String roomId) {
        return hs256(DEV_SECRET, claims(3600).put("roomId", roomId));
    }

    /** An unsigned token ({@code alg: none}). */
    public static String unsigned(JsonObject claims) {
        String header = b64(new JsonObject().put("alg", "none").put("typ", "JWT").encode().getBytes(StandardCharsets.UTF_8));
        return header + "." + b64(claims.encode().getBytes(StandardCharsets.UTF_8)) + ".";
    }
}
