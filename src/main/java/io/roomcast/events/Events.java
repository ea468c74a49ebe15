package io.roomcast.events;

import io.roomcast.room.Room;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where everything that happens in a room is announced: on the event bus (address
 * {@value #ADDRESS}, and {@value #ADDRESS}.{roomId}) for live streams inside the node or cluster,
 * and as webhooks to the room's URL and, when given, a request's own URL.
 */
public final class Events {
    public static final String ADDRESS = "roomcast.events";

    private final Vertx vertx;
    private final Webhooks webhooks;

    public Events(Vertx vertx, Webhooks webhooks) {
        this.vertx = vertx;
        this.webhooks = webhooks;
    }

    private final AtomicLong lastId = new AtomicLong();

    /**
     * An event's id: microseconds since the epoch, made strictly increasing on this node, so a client
     * that resumes a room's event stream on another node of a cluster gets what came after its last id.
     */
    private String nextId() {
        long now = System.currentTimeMillis() * 1000;
        return Long.toString(lastId.updateAndGet(last -> Math.max(last + 1, now)));
    }

    public void emit(Room room, String webhookType, JsonObject data) {
        emit(room, webhookType, data, null);
    }

    /** Announces an event; {@code requestUrl} is a per-request webhook (may be null). */
    public void emit(Room room, String webhookType, JsonObject roomcastData, String requestUrl) {
        JsonObject data = VideoSdkFields.added(roomcastData);
        JsonObject event = new JsonObject().put("id", nextId()).put("webhookType", webhookType).put("data", data)
                .put("at", Instant.now().toString());
        vertx.eventBus().publish(ADDRESS, event);
        vertx.eventBus().publish(ADDRESS + "." + room.roomId(), event);
        if (room.wants(webhookType, data)) webhooks.send(room.webhookUrl(), webhookType, data);
        String alias = EventTypes.VIDEOSDK_ALIASES.get(webhookType);
        if (alias != null && room.webhookEvents() != null && room.wants(alias)) webhooks.send(room.webhookUrl(), alias, data);
        if (requestUrl != null && !requestUrl.equals(room.webhookUrl())) webhooks.send(requestUrl, webhookType, data);
    }
}
