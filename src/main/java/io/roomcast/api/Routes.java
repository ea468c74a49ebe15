package io.roomcast.api;

import io.roomcast.cluster.Cluster;
import io.roomcast.config.Config;
import io.roomcast.encode.OutputConfig;
import io.roomcast.output.Thumbnails;
import io.roomcast.room.RoomService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One resource's routes: what they share (the stages, reading requests, the caller's limits) and
 * the list and get-by-id shapes every resource answers with. Handlers run on the event loop: they
 * touch in-memory state and start asynchronous I/O, never block.
 */
abstract class Routes {
    /** What every resource's routes are built from. */
    record Deps(Vertx vertx, Config config, Backend backend, Requests requests, Auth auth, Cluster cluster) {
    }

    protected final Vertx vertx;
    protected final Config config;
    protected final Backend backend;
    protected final RoomService rooms;
    protected final Requests requests;
    protected final Auth auth;
    /** Null on a single node. */
    protected final Cluster cluster;

    Routes(Deps d) {
        this.vertx = d.vertx();
        this.config = d.config();
        this.backend = d.backend();
        this.rooms = d.backend().rooms();
        this.requests = d.requests();
        this.auth = d.auth();
        this.cluster = d.cluster();
    }

    abstract void mount(Router r);

    /** The {@code roomId} of a body, if the token may touch that room. */
    protected String bodyRoomId(RoutingContext ctx, JsonObject body) {
        String roomId = rooms.canonicalId(requests.requireId(body, "roomId"));
        Auth.checkRoomAccess(ctx, roomId);
        return roomId;
    }

    /**
     * VideoSDK fields Roomcast cannot honour get a 400 naming them rather than a start that quietly
     * ignores them: a web page as the layout, and AI summaries of transcripts.
     */
    protected static void refuseUnsupported(JsonObject body) {
        if (body.containsKey("templateUrl")) {
            throw ApiException.badRequest("templateUrl is not supported: Roomcast composes with its own layouts"
                    + " (config.layout), not by rendering a web page");
        }
        if (body.getValue("config") instanceof JsonObject config && config.containsKey("templateUrl")) {
            throw ApiException.badRequest("config.templateUrl is not supported: Roomcast composes with its own layouts");
        }
        if (body.getValue("transcription") instanceof JsonObject tr && tr.getValue("summary") instanceof JsonObject summary
                && Boolean.TRUE.equals(summary.getValue("enabled"))) {
            throw ApiException.badRequest("transcription.summary is not supported: Roomcast makes transcripts, not summaries");
        }
        if (body.getValue("summary") instanceof JsonObject summary && Boolean.TRUE.equals(summary.getValue("enabled"))) {
            throw ApiException.badRequest("summary is not supported: Roomcast makes transcripts, not summaries");
        }
    }

    /**
     * A request that names destinations (a webhook, RTMP outputs, a preSignedUrl) acts once their
     * host names are looked up and allowed too: a name that resolves to a private address is then a
     * 400 {@code forbidden_address} like the address itself. Call after the request's own checks.
     */
    protected Future<JsonObject> afterNamesChecked(JsonObject body, Supplier<Future<JsonObject>> action) {
        Map<String, String> urls = new LinkedHashMap<>();
        for (String f : new String[] {"webhookUrl", "preSignedUrl"}) {
            if (body.getValue(f) instanceof String u) urls.put(f, u);
        }
        if (body.getValue("webhook") instanceof JsonObject hook) {
            for (String f : new String[] {"url", "endPoint"}) {
                if (hook.getValue(f) instanceof String u) urls.put("webhook." + f, u);
            }
        }
        if (body.getValue("outputs") instanceof JsonArray outs) {
            for (int i = 0; i < outs.size(); i++) {
                if (outs.getValue(i) instanceof JsonObject o && o.getValue("url") instanceof String u) urls.put("outputs[" + i + "].url", u);
            }
        }
        return backend.webhooks().checkNames(urls).compose(v -> action.get());
    }

    /** An optional per-request webhook URL, checked like the room's. */
    protected String webhookUrl(JsonObject body) {
        String url = requests.optString(body, "webhookUrl");
        if (url != null) backend.webhooks().validateUrl("webhookUrl", url);
        return url;
    }

    /** A page of a list filtered by {@code ?roomId=} (checked like any room access) and {@code ?sessionId=}. */
    protected Future<JsonObject> listByRoomAndSession(RoutingContext ctx, BiFunction<String, String, List<JsonObject>> list) {
        Requests.Page page = requests.page(ctx);
        String roomId = auth.roomFilter(ctx);
        String sessionId = ctx.request().getParam("sessionId");
        if (sessionId != null) Requests.checkId("sessionId", sessionId);
        return Future.succeededFuture(page.of(list.apply(roomId, sessionId), j -> j));
    }

    /** One item by the {@code :id} of the path, if the token may see its room. */
    protected static Future<JsonObject> getById(RoutingContext ctx, Function<String, JsonObject> get) {
        JsonObject item = get.apply(Requests.checkId("id", ctx.pathParam("id")));
        Auth.checkRoomAccess(ctx, item.getString("roomId"));
        return Future.succeededFuture(item);
    }

    /**
     * With {@code ?roomId=} the room's newest item's fields are also at the top level, so
     * {@code GET /v2/hls?roomId=} answers {id, status, playbackHlsUrl, livestreamUrl} as DESIGN.md
     * writes it, while {@code data} keeps the whole, paginated list.
     */
    protected static JsonObject latestOnTop(String roomId, JsonObject page) {
        JsonArray data = page.getJsonArray("data");
        if (roomId == null || data.isEmpty()) return page;
        JsonObject out = data.getJsonObject(0).copy();
        out.put("pageInfo", page.getJsonObject("pageInfo")).put("data", data);
        return out;
    }

    /** Fields every output start shares: roomId (with access check), preset, config, webhookUrl, thumbnails (or null). */
    protected record OutputRequest(String roomId, OutputConfig plan, String webhookUrl, Thumbnails.Options thumbnails) {
    }

    protected OutputRequest outputRequest(String roomId, JsonObject body) {
        refuseUnsupported(body);
        String preset = requests.optString(body, "preset");
        if (preset != null) Requests.checkId("preset", preset);
        JsonObject config = requests.optObject(body, "config");
        if (config != null && config.containsKey("layout") && !(config.getValue("layout") instanceof JsonObject)) {
            throw ApiException.badRequest("config.layout must be an object");
        }
        OutputConfig plan = backend.outputs().resolve(preset, config);
        Thumbnails.Options thumbnails = null;
        JsonObject t = config == null ? null : Requests.field("config.", () -> requests.optObject(config, "thumbnails"));
        if (t != null) {
            thumbnails = Requests.field("config.thumbnails.", () -> new Thumbnails.Options(
                    (int) requests.integer(t, "intervalSeconds", null, 1, 3600), (int) requests.integer(t, "width", 320L, 16, 1920)));
            if (plan.audioOnly()) throw ApiException.badRequest("config.thumbnails need a picture: mode is audio");
        }
        return new OutputRequest(roomId, plan, webhookUrl(body), thumbnails);
    }
}
