package io.roomcast.events;

import io.vertx.core.json.JsonObject;

/**
 * VideoSDK's names for what an event's data already carries, added beside Roomcast's own so that
 * a webhook handler written for VideoSDK reads them unchanged: {@code meetingId} (the room),
 * {@code participantName}, and a recording's {@code fileUrl}/{@code filePath} directly under data.
 */
final class VideoSdkFields {
    private VideoSdkFields() {
    }

    static JsonObject added(JsonObject data) {
        if (data == null) return null;
        JsonObject d = data.copy();
        if (d.containsKey("roomId") && !d.containsKey("meetingId")) d.put("meetingId", d.getValue("roomId"));
        if (d.containsKey("participantId") && d.containsKey("name") && !d.containsKey("participantName")) {
            d.put("participantName", d.getValue("name"));
        }
        if (d.getValue("file") instanceof JsonObject file) {
            for (String k : new String[]{"fileUrl", "filePath"}) {
                if (file.containsKey(k) && !d.containsKey(k)) d.put(k, file.getValue(k));
            }
        }
        return d;
    }
}
