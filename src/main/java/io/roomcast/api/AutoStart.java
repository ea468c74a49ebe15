package io.roomcast.api;

import io.roomcast.events.Events;
import io.roomcast.room.Room;
import io.roomcast.room.RoomService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * A room's {@code autoStartConfig} (VideoSDK's field): the start calls it stands for, each under its
 * kind ({@code recording}, {@code hls}, {@code livestream}, {@code transcription}) with the body of
 * that kind's start call minus {@code roomId}. Checked field by field as those calls check them when
 * the room is created (400 naming the field); made, in that order, when a session of the room starts
 * on this node. A start that is refused then (no media, a limit) is logged and its own webhooks say so.
 */
final class AutoStart {
    private static final Logger LOG = Logger.getLogger(AutoStart.class.getName());

    private final Map<String, BiFunction<String, JsonObject, Supplier<Future<JsonObject>>>> kinds = new LinkedHashMap<>();

    AutoStart(RecordingRoutes recordings, HlsRoutes hls, LivestreamRoutes livestreams, CaptionRoutes captions) {
        kinds.put("recording", recordings::prepare);
        kinds.put("hls", hls::prepare);
        kinds.put("livestream", livestreams::prepare);
        kinds.put("transcription", captions::prepare);
    }

    /** Every start of the config checked as its own call would check it. */
    void check(JsonObject config) {
        for (String kind : config.fieldNames()) {
            if (!kinds.containsKey(kind)) {
                throw ApiException.badRequest("autoStartConfig." + kind + " is not something Roomcast starts; it starts "
                        + String.join(", ", kinds.keySet()));
            }
            if (!(config.getValue(kind) instanceof JsonObject body)) {
                throw ApiException.badRequest("autoStartConfig." + kind + " must be an object (the body of its start call)");
            }
            Requests.field("autoStartConfig." + kind + ".", () -> kinds.get(kind).apply("autostart-check", body));
        }
    }

    /** Starts what a room asks for when one of its sessions starts here. */
    void listen(Vertx vertx, RoomService rooms) {
        vertx.eventBus().<JsonObject>consumer(Events.ADDRESS, msg -> {
            JsonObject event = msg.body();
            if (!"session-started".equals(event.getString("webhookType"))) return;
            String roomId = event.getJsonObject("data").getString("roomId");
            Room room;
            try {
                room = rooms.isLocal(roomId) ? rooms.room(roomId) : null;
            } catch (RuntimeException gone) { // released or moved since the event
                return;
            }
            if (room == null || room.autoStartConfig() == null) return;
            for (Map.Entry<String, Object> e : room.autoStartConfig()) {
                var prepare = kinds.get(e.getKey());
                if (prepare == null || !(e.getValue() instanceof JsonObject body)) continue;
                try {
                    prepare.apply(roomId, body).get().onFailure(err -> refused(roomId, e.getKey(), err));
                } catch (RuntimeException err) {
                    refused(roomId, e.getKey(), err);
                }
            }
        });
    }

    private static void refused(String roomId, String kind, Throwable err) {
        LOG.warning(() -> "room " + roomId + ": autoStartConfig." + kind + " did not start: " + err.getMessage());
    }
}
