package io.roomcast.api;

import io.roomcast.transcribe.Caption;
import io.roomcast.transcribe.TranscriptionService;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.function.Supplier;

import static io.roomcast.api.Replies.api;

/**
 * Live transcription: start and end, and the captions as a JSON list, Server-Sent Events or a
 * WebSocket. Streams are fed by the event bus, so any node of a cluster serves them.
 */
final class CaptionRoutes extends Routes {
    CaptionRoutes(Deps d) {
        super(d);
    }

    @Override
    void mount(Router r) {
        r.post("/v2/transcription/start").handler(api(this::start));
        r.post("/v2/transcription/end").handler(api(this::end));
        // VideoSDK's paths for the same calls, and the room's running transcription as a list.
        r.post("/ai/v1/realtime-transcriptions/start").handler(api(this::start));
        r.post("/ai/v1/realtime-transcriptions/end").handler(api(this::end));
        r.get("/ai/v1/realtime-transcriptions").handler(api(this::running));
        r.get("/v2/rooms/:roomId/captions/ws").handler(this::webSocket);
        r.get("/v2/rooms/:roomId/captions").handler(this::captions);
    }

    private Future<JsonObject> start(RoutingContext ctx) {
        JsonObject body = requests.body(ctx);
        return afterNamesChecked(body, prepare(bodyRoomId(ctx, body), body));
    }

    private Future<JsonObject> end(RoutingContext ctx) {
        return backend.transcription().stop(bodyRoomId(ctx, requests.body(ctx))).map(TranscriptionService.Live::toJson);
    }

    private Future<JsonObject> running(RoutingContext ctx) {
        Requests.Page page = requests.page(ctx);
        String roomId = auth.roomFilter(ctx);
        if (roomId == null) throw ApiException.badRequest("roomId is required");
        TranscriptionService.Live live = backend.transcription().running(roomId);
        return Future.succeededFuture(page.of(live == null ? List.<TranscriptionService.Live>of() : List.of(live),
                TranscriptionService.Live::toJson));
    }

    /** A start checked now (400 on a bad field) and made when called: by the route, or at a session's start. */
    Supplier<Future<JsonObject>> prepare(String roomId, JsonObject body) {
        refuseUnsupported(body);
        String language = requests.optString(body, "language");
        String url = webhookUrl(body);
        return () -> backend.transcription().start(roomId, language, url).map(TranscriptionService.Live::toJson);
    }

    /** JSON list of final captions, or Server-Sent Events of every caption with Accept: text/event-stream. */
    private void captions(RoutingContext ctx) {
        String roomId = auth.pathRoomId(ctx);
        long since = Requests.sinceMillis(ctx);
        String accept = ctx.request().getHeader(HttpHeaders.ACCEPT);
        boolean stream = accept != null && accept.contains("text/event-stream");
        if (cluster != null && !rooms.isLocal(roomId) && stream) {
            // Another node runs the room: its captions come over the cluster's event bus.
            vertx.executeBlocking(() -> cluster.owner(roomId), false).onComplete(ar -> {
                if (ar.failed() || ar.result() == null) Replies.notFound(ctx, "room " + roomId + " does not exist");
                else captionStream(ctx, roomId, List.of());
            });
            return;
        }
        rooms.room(roomId);
        if (!stream) {
            JsonArray data = new JsonArray();
            for (Caption c : backend.transcription().captions(roomId, since)) data.add(c.toJson());
            TranscriptionService.Live live = backend.transcription().running(roomId);
            Replies.json(ctx, 200, new JsonObject().put("roomId", roomId)
                    .put("transcription", live == null ? null : live.toJson()).put("data", data));
            return;
        }
        captionStream(ctx, roomId, backend.transcription().captions(roomId, since));
    }

    /** Server-Sent Events: the backlog, then every caption published for the room on the event bus. */
    private void captionStream(RoutingContext ctx, String roomId, List<Caption> backlog) {
        var response = EventStreams.open(ctx, "captions of room " + roomId);
        for (Caption c : backlog) {
            response.write("event: caption\nid: " + c.seq() + "\ndata: " + c.toJson().encode() + "\n\n");
        }
        EventStreams.follow(vertx, response, TranscriptionService.ADDRESS + "." + roomId, caption ->
                response.write("event: caption\nid: " + caption.getLong("seq") + "\ndata: " + caption.encode() + "\n\n"));
    }

    private void webSocket(RoutingContext ctx) {
        String roomId = auth.pathRoomId(ctx);
        if (cluster == null || rooms.isLocal(roomId)) rooms.room(roomId); // elsewhere in a cluster: fed by the event bus
        ctx.request().toWebSocket().onSuccess(ws -> {
            var consumer = vertx.eventBus().<JsonObject>consumer(TranscriptionService.ADDRESS + "." + roomId,
                    msg -> ws.writeTextMessage(msg.body().encode()));
            ws.closeHandler(v -> consumer.unregister());
            ws.textMessageHandler(m -> {
                // Clients only listen; anything they send is ignored.
            });
        }).onFailure(e -> {
            if (!ctx.response().ended()) Replies.error(ctx, 400, "invalid_request", "a WebSocket upgrade is required here");
        });
    }
}
