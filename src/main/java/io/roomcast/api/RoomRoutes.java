package io.roomcast.api;

import io.roomcast.encode.OutputConfig;
import io.roomcast.events.EventTypes;
import io.roomcast.messages.Message;
import io.roomcast.room.AutoClose;
import io.roomcast.room.Room;
import io.roomcast.room.Session;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.List;

import static io.roomcast.api.Replies.api;

/** Rooms, their sessions and the room's layout. */
final class RoomRoutes extends Routes {
    private final AutoStart autoStart;

    RoomRoutes(Deps d, AutoStart autoStart) {
        super(d);
        this.autoStart = autoStart;
    }

    @Override
    void mount(Router r) {
        r.post("/v2/rooms").handler(api(this::createRoom));
        r.post("/v2/rooms/deactivate").handler(api(this::deactivate));
        r.get("/v2/rooms/validate/:roomId").handler(api(this::getRoom));
        r.get("/v2/rooms").handler(api(this::listRooms));
        r.get("/v2/rooms/:roomId").handler(api(this::getRoom));
        r.get("/v2/sessions").handler(api(this::listSessions));
        r.get("/v2/sessions/:sessionId").handler(api(this::getSession));
        r.get("/v2/sessions/:sessionId/participants").handler(api(ctx -> participants(ctx, false)));
        r.get("/v2/sessions/:sessionId/participants/active").handler(api(ctx -> participants(ctx, true)));
        r.post("/v2/sessions/end").handler(api(this::endSession));
        r.post("/v2/rooms/:roomId/layout").handler(api(this::layout));
        r.get("/v2/rooms/:roomId/snapshot").handler(this::snapshot);
    }

    private Future<JsonObject> createRoom(RoutingContext ctx) {
        Auth.requireUnlimited(ctx);
        JsonObject body = requests.body(ctx);
        String customRoomId = requests.optString(body, "customRoomId");
        JsonObject webhook = requests.optObject(body, "webhook");
        String url = null;
        List<String> events = null;
        if (webhook != null) {
            // VideoSDK names the URL endPoint; either is taken.
            String key = webhook.containsKey("url") || !webhook.containsKey("endPoint") ? "url" : "endPoint";
            url = Requests.field("webhook.", () -> requests.requireString(webhook, key));
            backend.webhooks().validateUrl("webhook." + key, url);
            Object ev = webhook.getValue("events");
            if (ev != null) {
                if (!(ev instanceof JsonArray arr)) throw ApiException.badRequest("webhook.events must be an array");
                events = new ArrayList<>();
                for (Object o : arr) {
                    if (!(o instanceof String s) || !isMessageTopicEntry(s) && EventTypes.ALL.stream().noneMatch(t -> Room.matches(s, t))) {
                        throw ApiException.badRequest("webhook.events has an unknown event type or a pattern that matches none: " + o);
                    }
                    events.add(s);
                }
            }
        }
        JsonObject autoStartConfig = requests.optObject(body, "autoStartConfig");
        if (autoStartConfig != null) autoStart.check(autoStartConfig);
        AutoClose autoClose = autoClose(requests.optObject(body, "autoCloseConfig"));
        String hookUrl = url;
        List<String> hookEvents = events;
        if (cluster == null) {
            return afterNamesChecked(body, () -> rooms.createRoom(customRoomId, hookUrl, hookEvents, autoStartConfig, autoClose).map(Room::toJson));
        }
        // In a cluster the room lives here (the entry node placed it by load): say so in the shared map.
        return afterNamesChecked(body, () -> rooms.createRoom(customRoomId, hookUrl, hookEvents, autoStartConfig, autoClose)
                .compose(room -> vertx.executeBlocking(() -> {
                    cluster.own(room.roomId());
                    return room.toJson();
                }, false)));
    }

    /** VideoSDK's {@code autoCloseConfig {type, duration}}: duration in seconds, type session-ends (default) or session-end-and-deactivate. */
    private AutoClose autoClose(JsonObject config) {
        if (config == null) return null;
        for (String k : config.fieldNames()) {
            if (!k.equals("type") && !k.equals("duration")) {
                throw ApiException.badRequest("autoCloseConfig." + k + " is not known: autoCloseConfig takes type and duration (seconds)");
            }
        }
        String wire = Requests.field("autoCloseConfig.", () -> requests.optString(config, "type"));
        AutoClose.Type type = wire == null ? AutoClose.Type.SESSION_ENDS : AutoClose.Type.of(wire);
        if (type == null) {
            throw ApiException.badRequest("autoCloseConfig.type must be one of [session-end-and-deactivate, session-ends]");
        }
        long duration = Requests.field("autoCloseConfig.",
                () -> requests.integer(config, "duration", (long) AutoClose.NO_LIMIT, 1, 7 * 24 * 3600));
        return new AutoClose(type, (int) duration);
    }

    private Future<JsonObject> deactivate(RoutingContext ctx) {
        String roomId = bodyRoomId(ctx, requests.body(ctx));
        return rooms.deactivate(roomId).map(Room::toJson);
    }

    private Future<JsonObject> participants(RoutingContext ctx, boolean activeOnly) {
        Requests.Page page = requests.page(ctx);
        Session s = rooms.session(Requests.checkId("sessionId", ctx.pathParam("sessionId")));
        Auth.checkRoomAccess(ctx, s.roomId());
        return Future.succeededFuture(page.of(rooms.participantsJson(s, activeOnly), j -> j));
    }

    private Future<JsonObject> listRooms(RoutingContext ctx) {
        Requests.Page page = requests.page(ctx);
        String limit = Auth.roomLimit(ctx);
        List<Room> all = rooms.rooms();
        if (limit != null) all = all.stream().filter(room -> room.roomId().equals(limit)).toList();
        return Future.succeededFuture(page.of(all, Room::toJson));
    }

    private Future<JsonObject> getRoom(RoutingContext ctx) {
        return Future.succeededFuture(rooms.room(auth.pathRoomId(ctx)).toJson());
    }

    private Future<JsonObject> listSessions(RoutingContext ctx) {
        Requests.Page page = requests.page(ctx);
        String roomId = auth.roomFilter(ctx);
        return Future.succeededFuture(page.of(rooms.sessions(roomId), rooms::sessionJson));
    }

    private Future<JsonObject> getSession(RoutingContext ctx) {
        Session s = rooms.session(Requests.checkId("sessionId", ctx.pathParam("sessionId")));
        Auth.checkRoomAccess(ctx, s.roomId());
        return Future.succeededFuture(rooms.sessionJson(s));
    }

    private Future<JsonObject> endSession(RoutingContext ctx) {
        String roomId = bodyRoomId(ctx, requests.body(ctx));
        return rooms.endSession(roomId).map(rooms::sessionJson);
    }

    private Future<JsonObject> layout(RoutingContext ctx) {
        String roomId = auth.pathRoomId(ctx);
        JsonObject body = requests.body(ctx);
        String pin = requests.optId(body, "pin");
        String speaker = requests.optId(body, "activeSpeaker");
        String type = body.containsKey("type") ? requests.oneOf(body, "type", OutputConfig.LAYOUTS, null) : null;
        return Future.succeededFuture(backend.layouts().set(roomId, pin, speaker, type,
                body.containsKey("pin") && body.getValue("pin") == null,
                body.containsKey("activeSpeaker") && body.getValue("activeSpeaker") == null));
    }

    /** The room's composite now, as {@code image/jpeg} ({@code ?width=}, 640 by default), for a "live now" tile. */
    private void snapshot(RoutingContext ctx) {
        Future<byte[]> jpeg;
        try {
            jpeg = backend.outputs().snapshot(auth.pathRoomId(ctx), Requests.queryInt(ctx, "width", 640, 16, 1920));
        } catch (RuntimeException e) {
            ctx.fail(e);
            return;
        }
        jpeg.onComplete(ar -> {
            if (ctx.response().ended()) return;
            if (ar.failed()) {
                ctx.fail(ar.cause());
                return;
            }
            ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "image/jpeg").putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                    .end(Buffer.buffer(ar.result()));
        });
    }

    /** A webhook.events entry {@code message-published:TOPIC}: the messages of one topic. */
    private boolean isMessageTopicEntry(String entry) {
        String prefix = Room.MESSAGE_PUBLISHED + ":";
        return entry.startsWith(prefix) && Message.isTopic(entry.substring(prefix.length()), backend.messages().limits().maxTopicChars());
    }
}
