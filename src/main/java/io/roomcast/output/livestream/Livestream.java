package io.roomcast.output.livestream;

import io.roomcast.encode.Muxer;
import io.roomcast.output.Output;
import io.roomcast.output.OutputStatus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One livestream: the RTMP pushes started together, one per destination. Its status is computed
 * from theirs: started while any push is, stopped once all are finished and one stopped in order.
 */
final class Livestream {
    final String id;
    final String roomId;
    final String sessionId;
    final String webhookUrl;
    final String createdAt = Instant.now().toString();
    final List<RtmpPush> pushes = new ArrayList<>();
    volatile boolean announcedStart;
    volatile boolean announcedEnd;

    Livestream(String id, String roomId, String sessionId, String webhookUrl) {
        this.id = id;
        this.roomId = roomId;
        this.sessionId = sessionId;
        this.webhookUrl = webhookUrl;
    }

    OutputStatus status() {
        if (pushes.stream().allMatch(Output::finished)) {
            return pushes.stream().anyMatch(p -> p.status() == OutputStatus.STOPPED) ? OutputStatus.STOPPED : OutputStatus.FAILED;
        }
        if (pushes.stream().anyMatch(p -> p.status() == OutputStatus.STARTED)) return OutputStatus.STARTED;
        if (pushes.stream().anyMatch(p -> p.status() == OutputStatus.RECONNECTING)) return OutputStatus.RECONNECTING;
        return OutputStatus.STARTING;
    }

    /** The manifest: the group and each destination (its URL without the stream key). */
    JsonObject toJson() {
        JsonArray outs = new JsonArray();
        String start = null;
        String end = null;
        for (RtmpPush p : pushes) {
            outs.add(new JsonObject().put("id", p.id()).put("url", Muxer.redact(p.url))
                    .put("status", p.status().wire()).put("reason", p.reason()).put("reconnects", p.reconnects.get())
                    .put("start", p.startedAt()).put("end", p.endedAt()).put("packetsDropped", p.packetsDropped()));
            if (p.startedAt() != null && (start == null || p.startedAt().compareTo(start) < 0)) start = p.startedAt();
            if (p.endedAt() != null && (end == null || p.endedAt().compareTo(end) > 0)) end = p.endedAt();
        }
        OutputStatus status = status();
        return new JsonObject().put("id", id).put("roomId", roomId).put("sessionId", sessionId).put("status", status.wire())
                .put("createdAt", createdAt).put("start", start).put("end", status.terminal() ? end : null)
                .put("config", pushes.isEmpty() ? null : pushes.get(0).config().toJson())
                .put("webhookUrl", webhookUrl).put("outputs", outs);
    }
}
