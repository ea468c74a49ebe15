package io.roomcast.api;

import io.roomcast.errors.Refusal;
import io.roomcast.messages.Message;
import io.roomcast.messages.MessageService;
import io.roomcast.messages.MessageService.Publish;
import io.vertx.core.Future;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntSupplier;

import static io.roomcast.api.Replies.api;

/**
 * Messages of a room's session (VideoSDK's PubSub): publish, list the persisted ones or follow them
 * as Server-Sent Events, a WebSocket that receives and sends, and a poll's live tally. Streams are
 * fed by the event bus, so any node of a cluster serves them; publishing runs on the room's node.
 */
final class MessageRoutes extends Routes {
    private final RateLimiter perSender;
    private final IntSupplier port;
    private HttpClient self;

    MessageRoutes(Deps d, IntSupplier port) {
        super(d);
        this.port = port;
        this.perSender = new RateLimiter(d.backend().messages().limits().perSenderPerSecond());
        vertx.setPeriodic(30_000, t -> perSender.sweep(System.nanoTime()));
    }

    @Override
    void mount(Router r) {
        r.post("/v2/rooms/:roomId/messages").handler(api(ctx -> publish(ctx, auth.pathRoomId(ctx), requests.body(ctx), true)
                .map(Message::toJson)));
        r.get("/v2/rooms/:roomId/messages/ws").handler(this::webSocket);
        r.get("/v2/rooms/:roomId/messages").handler(this::messages);
        r.get("/v2/rooms/:roomId/polls/:pollId").handler(api(ctx -> backend.messages()
                .poll(auth.pathRoomId(ctx), Requests.checkId("pollId", ctx.pathParam("pollId")))));
    }

    /** Checks the body's fields and the sender's rate, then publishes. */
    private Future<Message> publish(RoutingContext ctx, String roomId, JsonObject body, boolean http) {
        Publish p = parse(body);
        Auth.Viewer viewer = Auth.viewer(ctx);
        if (viewer != null) {
            // An HLS viewer publishes as itself (from its token), and only to the start's config.viewerTopics.
            JsonArray allowed = backend.hls().get(viewer.hlsId()).getJsonArray("viewerTopics", new JsonArray());
            if (!allowed.contains(p.topic())) {
                throw new ApiException(403, "forbidden", "this viewer token may publish only to " + allowed.encode()
                        + " (config.viewerTopics of the HLS start), not to " + p.topic());
            }
            p = new Publish(p.topic(), p.message(), p.payload(), viewer.senderId(),
                    viewer.name() != null ? viewer.name() : p.senderName(), p.persist());
        }
        Publish checked = p;
        if (!perSender.allow(roomId + "/" + p.senderId(), System.nanoTime())) {
            if (http) ctx.response().putHeader("Retry-After", "1");
            throw new ApiException(429, "rate_limited", "sender " + p.senderId() + " publishes more than "
                    + backend.messages().limits().perSenderPerSecond() + " messages a second (messages.perSenderPerSecond)");
        }
        return backend.messages().publish(roomId, checked);
    }

    private Publish parse(JsonObject body) {
        Object message = body.getValue("message");
        if (message != null && !(message instanceof String)) throw ApiException.badRequest("message must be a string");
        Object payload = body.getValue("payload");
        if (payload != null && !(payload instanceof JsonObject)) throw ApiException.badRequest("payload must be a JSON object");
        Object persist = body.getValue("persist");
        if (persist != null && !(persist instanceof Boolean)) throw ApiException.badRequest("persist must be true or false");
        String topic = requests.optString(body, "topic");
        if (topic == null) throw ApiException.badRequest("topic is required (e.g. CHAT, POLL, POLL_RESPONSE, QNA)");
        String senderId = requests.optString(body, "senderId");
        if (senderId != null) Requests.checkId("senderId", senderId);
        String senderName = requests.optString(body, "senderName");
        return new Publish(topic, (String) message, (JsonObject) payload, senderId == null ? "server" : senderId,
                senderName, Boolean.TRUE.equals(persist));
    }

    /** The persisted messages as JSON, or with Accept: text/event-stream the backlog and then every new message. */
    private void messages(RoutingContext ctx) {
        String roomId = auth.pathRoomId(ctx);
        String topic = ctx.request().getParam("topic");
        Set<String> readable = readable(ctx);
        if (readable != null && topic != null && !readable.contains(topic)) {
            throw new ApiException(403, "forbidden", "this viewer token reads only " + readable);
        }
        long since = Requests.sinceMillis(ctx);
        String sessionId = ctx.request().getParam("sessionId");
        if (sessionId != null) Requests.checkId("sessionId", sessionId);
        String accept = ctx.request().getHeader(HttpHeaders.ACCEPT);
        boolean stream = accept != null && accept.contains("text/event-stream");
        if (stream && cluster != null && !rooms.isLocal(roomId)) {
            // Another node runs the room: its messages come over the cluster's event bus.
            stream(ctx, roomId, topic, readable, List.of());
            return;
        }
        backend.messages().list(roomId, sessionId, topic, since).onComplete(ar -> {
            if (ar.failed()) {
                ctx.fail(ar.cause());
            } else if (stream) {
                stream(ctx, roomId, topic, readable, ar.result());
            } else {
                JsonArray data = new JsonArray();
                for (Message m : ar.result()) if (readable == null || readable.contains(m.topic())) data.add(m.toJson());
                Replies.json(ctx, 200, new JsonObject().put("roomId", roomId).put("data", data));
            }
        });
    }

    /** The topics an HLS viewer reads (its viewer and timed-metadata topics), or null for an API token (all). */
    private Set<String> readable(RoutingContext ctx) {
        Auth.Viewer viewer = Auth.viewer(ctx);
        if (viewer == null) return null;
        JsonObject stream = backend.hls().get(viewer.hlsId());
        Set<String> topics = new TreeSet<>();
        for (String field : List.of("viewerTopics", "timedMetadataTopics")) {
            stream.getJsonArray(field, new JsonArray()).forEach(t -> topics.add(String.valueOf(t)));
        }
        return topics;
    }

    private void stream(RoutingContext ctx, String roomId, String topic, Set<String> readable, List<Message> backlog) {
        HttpServerResponse response = EventStreams.open(ctx, "messages of room " + roomId);
        for (Message m : backlog) if (readable == null || readable.contains(m.topic())) response.write(event(m.toJson()));
        EventStreams.follow(vertx, response, MessageService.ADDRESS + "." + roomId, m -> {
            String t = m.getString("topic");
            if ((topic == null || topic.equals(t)) && (readable == null || readable.contains(t))) response.write(event(m));
        });
    }

    private static String event(JsonObject m) {
        return "event: message\nid: " + m.getString("id") + "\ndata: " + m.encode() + "\n\n";
    }

    /**
     * Every message of the room as a text frame; a frame sent is published like the POST body, and
     * answered with {@code {"published": message}} or {@code {"error": {code, message}}}.
     */
    private void webSocket(RoutingContext ctx) {
        String roomId = auth.pathRoomId(ctx);
        if (cluster == null || rooms.isLocal(roomId)) rooms.room(roomId);
        Set<String> readable = readable(ctx);
        ctx.request().toWebSocket().onSuccess(ws -> {
            var consumer = vertx.eventBus().<JsonObject>consumer(MessageService.ADDRESS + "." + roomId, msg -> {
                if (readable == null || readable.contains(msg.body().getString("topic"))) {
                    ws.writeTextMessage(new JsonObject().put("message", msg.body()).encode());
                }
            });
            ws.closeHandler(v -> consumer.unregister());
            ws.textMessageHandler(text -> received(ctx, ws, roomId, text));
        }).onFailure(e -> {
            if (!ctx.response().ended()) Replies.error(ctx, 400, "invalid_request", "a WebSocket upgrade is required here");
        });
    }

    /** The caller's token as it came (header or ?token=), to publish with it on the room's node. */
    private static String token(RoutingContext ctx) {
        String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
        return header != null ? header : "Bearer " + ctx.request().getParam("token");
    }

    /**
     * Another node runs the room: the frame is published through this node's own API, which forwards
     * it to that node like any call about the room (same token, same checks and limits).
     */
    private void viaRoomNode(ServerWebSocket ws, String roomId, JsonObject body, String token) {
        if (self == null) {
            boolean tls = !config.str("http.keyStore").isBlank();
            String host = config.str("http.host");
            self = vertx.createHttpClient(new HttpClientOptions().setDefaultHost(host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host)
                    .setDefaultPort(port.getAsInt()).setSsl(tls).setTrustAll(tls).setVerifyHost(false));
        }
        self.request(HttpMethod.POST, "/v2/rooms/" + roomId + "/messages")
                .compose(req -> req.putHeader(HttpHeaders.AUTHORIZATION, token).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                        .send(body.toBuffer()))
                .compose(resp -> resp.body().map(b -> new JsonObject(b)))
                .onComplete(ar -> {
                    if (ar.failed()) {
                        ws.writeTextMessage(ApiException.body("node_unreachable", "the room's node did not take the message: "
                                + ar.cause().getMessage()).encode());
                    } else if (ar.result().containsKey("error")) {
                        ws.writeTextMessage(ar.result().encode());
                    } else {
                        ws.writeTextMessage(new JsonObject().put("published", ar.result()).encode());
                    }
                });
    }

    private void received(RoutingContext ctx, ServerWebSocket ws, String roomId, String text) {
        Future<Message> published;
        try {
            if (text.length() > config.integer("http.maxBodyBytes")) throw ApiException.badRequest("the frame is larger than http.maxBodyBytes");
            JsonObject body = new JsonObject(text);
            if (cluster != null && !rooms.isLocal(roomId)) {
                viaRoomNode(ws, roomId, body, token(ctx));
                return;
            }
            published = publish(ctx, roomId, body, false);
        } catch (DecodeException e) {
            published = Future.failedFuture(ApiException.badRequest("a frame must be a JSON object"));
        } catch (RuntimeException e) {
            published = Future.failedFuture(e);
        }
        published.onComplete(ar -> {
            if (ar.succeeded()) {
                ws.writeTextMessage(new JsonObject().put("published", ar.result().toJson()).encode());
            } else {
                Throwable e = ar.cause();
                String code = e instanceof ApiException a ? a.code() : e instanceof Refusal r ? r.code() : "internal_error";
                ws.writeTextMessage(ApiException.body(code, e.getMessage()).encode());
            }
        });
    }
}
