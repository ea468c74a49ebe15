package io.roomcast.room;

import io.vertx.core.json.JsonObject;

/** One RTP stream of a participant, as the SFU registered it at join. */
public record Track(String kind, String source, String codec, long ssrc, int payloadType, int clockRate) {

    public JsonObject toJson() {
        return new JsonObject().put("kind", kind).put("source", source).put("codec", codec).put("ssrc", ssrc)
                .put("payloadType", payloadType).put("clockRate", clockRate);
    }

    public static Track fromJson(JsonObject json) {
        return new Track(json.getString("kind"), json.getString("source"), json.getString("codec"),
                json.getLong("ssrc"), json.getInteger("payloadType"), json.getInteger("clockRate"));
    }
}
