package io.roomcast.support;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** The track descriptions an SFU sends with a join, as the tests' senders use them. */
public final class Tracks {
    private Tracks() {
    }

    public static JsonObject of(String kind, String codec, long ssrc, int payloadType) {
        return new JsonObject().put("kind", kind).put("codec", codec).put("ssrc", ssrc).put("payloadType", payloadType);
    }

    /** Opus on payload type 111, as the tests' senders send it. */
    public static JsonObject opus(long ssrc) {
        return of("audio", "opus", ssrc, 111);
    }

    /** A camera: VP8 on payload type 96, H.264 on 102. */
    public static JsonObject camera(String codec, long ssrc) {
        return of("video", codec, ssrc, codec.equals("h264") ? 102 : 96);
    }

    public static JsonArray list(JsonObject... tracks) {
        JsonArray a = new JsonArray();
        for (JsonObject t : tracks) a.add(t);
        return a;
    }

    /** A join request body. */
    public static JsonObject join(String participantId, String name, JsonObject... tracks) {
        return new JsonObject().put("participantId", participantId).put("name", name).put("tracks", list(tracks));
    }
}
