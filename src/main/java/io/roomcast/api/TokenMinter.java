package io.roomcast.api;

import io.roomcast.room.Ids;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.Base64;

/** Mints API tokens (HS256 JWTs) with the configured secret: {@code java -jar roomcast.jar token}. */
public final class TokenMinter {
    private TokenMinter() {
    }

    /** A token with claims apikey, permissions and exp, limited to {@code roomId} when it is not null. */
    public static String mint(String secret, String apikey, String roomId, long ttlSeconds) {
        JsonObject claims = new JsonObject().put("apikey", apikey)
                .put("permissions", new JsonArray().add("allow_join").add("allow_mod"))
                .put("iat", Instant.now().getEpochSecond())
                .put("exp", Instant.now().getEpochSecond() + ttlSeconds);
        if (roomId != null) claims.put("roomId", roomId);
        return sign(secret, claims);
    }

    /**
     * A viewer's token for one HLS stream (claim {@code hls}): it reads that stream's playlists and
     * segments and nothing else, and expires; it is what makes the HLS URLs of the API playable as given.
     */
    public static String mintHlsViewer(String secret, String roomId, String hlsId, long ttlSeconds) {
        return mintHlsViewer(secret, roomId, hlsId, ttlSeconds, Ids.hex24().substring(0, 12), null);
    }

    /**
     * The same for one viewer: {@code viewer} is who publishes messages with it (the sender id is
     * {@code viewer-<id>}) and {@code name} (may be null) the name shown beside them.
     */
    public static String mintHlsViewer(String secret, String roomId, String hlsId, long ttlSeconds, String viewerId, String name) {
        JsonObject claims = new JsonObject().put("apikey", "hls-viewer").put("roomId", roomId).put("hls", hlsId)
                .put("viewer", viewerId)
                .put("permissions", new JsonArray())
                .put("iat", Instant.now().getEpochSecond())
                .put("exp", Instant.now().getEpochSecond() + ttlSeconds);
        if (name != null) claims.put("name", name);
        return sign(secret, claims);
    }

    private static String sign(String secret, JsonObject claims) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String payload = b64.encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8));
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            String signature = b64.encodeToString(mac.doFinal((header + "." + payload).getBytes(StandardCharsets.UTF_8)));
            return header + "." + payload + "." + signature;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }
}
