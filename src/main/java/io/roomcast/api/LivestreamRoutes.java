package io.roomcast.api;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

import static io.roomcast.api.Replies.api;

/** RTMP simulcast: start (one or more destinations), end and list. */
final class LivestreamRoutes extends Routes {
    private static final Set<String> RTMP_SCHEMES = Set.of("rtmp", "rtmps");

    LivestreamRoutes(Deps d) {
        super(d);
    }

    @Override
    void mount(Router r) {
        r.post("/v2/livestreams/start").handler(api(this::start));
        r.post("/v2/livestreams/end").handler(api(ctx -> Future.succeededFuture(backend.livestreams().end(bodyRoomId(ctx, requests.body(ctx))))));
        r.get("/v2/livestreams").handler(api(this::list));
        r.get("/v2/livestreams/:id").handler(api(ctx -> getById(ctx, backend.livestreams()::get)));
    }

    private Future<JsonObject> start(RoutingContext ctx) {
        JsonObject body = requests.body(ctx);
        return afterNamesChecked(body, prepare(bodyRoomId(ctx, body), body));
    }

    /** A start checked now (400 on a bad field) and made when called: by the route, or at a session's start. */
    Supplier<Future<JsonObject>> prepare(String roomId, JsonObject body) {
        OutputRequest r = outputRequest(roomId, body);
        JsonArray outs = requests.requireArray(body, "outputs");
        if (outs.isEmpty()) throw ApiException.badRequest("outputs must name at least one RTMP destination");
        List<String> urls = new ArrayList<>();
        for (int i = 0; i < outs.size(); i++) {
            if (!(outs.getValue(i) instanceof JsonObject o)) throw ApiException.badRequest("outputs[" + i + "] must be an object");
            String url = o.getValue("url") instanceof String u ? u : null;
            if (url == null) throw ApiException.badRequest("outputs[" + i + "].url is required");
            backend.webhooks().validateUrl("outputs[" + i + "].url", url, RTMP_SCHEMES);
            String key = requests.optString(o, "streamKey");
            if (key != null && !key.matches("[A-Za-z0-9_.?=&-]{1,256}")) {
                throw ApiException.badRequest("outputs[" + i + "].streamKey has characters a URL path cannot carry");
            }
            urls.add(key == null || key.isEmpty() ? url : url.replaceAll("/+$", "") + "/" + key);
        }
        return () -> Future.succeededFuture(backend.livestreams().start(r.roomId(), urls, r.plan(), r.webhookUrl()));
    }

    private Future<JsonObject> list(RoutingContext ctx) {
        Requests.Page page = requests.page(ctx);
        String roomId = auth.roomFilter(ctx);
        return Future.succeededFuture(latestOnTop(roomId, page.of(backend.livestreams().list(roomId), j -> j)));
    }
}
