package io.roomcast.api;

import io.roomcast.events.Events;
import io.roomcast.events.RoomEventLog;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import static io.roomcast.api.Replies.api;

/**
 * A room's events as Server-Sent Events: every event its webhooks would carry (joins and leaves,
 * tracks, speakers, outputs, messages), each with its type, time and id; {@code Last-Event-ID} (or
 * {@code ?lastEventId=}) resumes after a reconnect, on any node of a cluster, within the kept window;
 * and what became of the room's latest webhook deliveries.
 */
final class RoomEventRoutes extends Routes {
    RoomEventRoutes(Deps d) {
        super(d);
    }

    @Override
    void mount(Router r) {
        r.get("/v2/rooms/:roomId/events").handler(this::events);
        r.get("/v2/rooms/:roomId/webhooks/deliveries").handler(api(this::deliveries));
    }

    /** The room's latest webhook deliveries on this node, newest first: type, URL, state, attempts, last answer. */
    private Future<JsonObject> deliveries(RoutingContext ctx) {
        String roomId = auth.pathRoomId(ctx);
        rooms.room(roomId);
        return Future.succeededFuture(new JsonObject().put("roomId", roomId)
                .put("data", new JsonArray(backend.webhooks().log().room(roomId))));
    }

    private void events(RoutingContext ctx) {
        String roomId = auth.pathRoomId(ctx);
        if (cluster == null || rooms.isLocal(roomId)) rooms.room(roomId); // elsewhere in a cluster: fed by the event bus
        String lastId = ctx.request().getHeader("Last-Event-ID");
        if (lastId == null) lastId = ctx.request().getParam("lastEventId");
        RoomEventLog.Resume resume = backend.roomEvents().after(roomId, lastId);
        HttpServerResponse response = EventStreams.open(ctx, "events of room " + roomId);
        if (resume.gap()) {
            response.write("event: gap\ndata: " + new JsonObject().put("message", "events after " + lastId
                    + " are no longer all kept (events.resumeEventsPerRoom, events.resumeSeconds): what is kept follows").encode() + "\n\n");
        }
        for (JsonObject e : resume.events()) response.write(sse(e));
        EventStreams.follow(vertx, response, Events.ADDRESS + "." + roomId, e -> response.write(sse(e)));
    }

    private static String sse(JsonObject event) {
        String type = event.getString("webhookType");
        JsonObject out = new JsonObject().put("id", event.getString("id")).put("type", type).put("at", event.getString("at"))
                .put("data", event.getJsonObject("data"));
        return "event: " + type + "\nid: " + event.getString("id") + "\ndata: " + out.encode() + "\n\n";
    }
}
