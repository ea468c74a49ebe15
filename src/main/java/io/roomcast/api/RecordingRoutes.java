package io.roomcast.api;

import io.roomcast.output.recording.RecordingOptions;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.function.Supplier;

import static io.roomcast.api.Replies.api;

/** Cloud recordings: start, end, list and get. */
final class RecordingRoutes extends Routes {
    private static final String DIR_PATH = "([A-Za-z0-9][A-Za-z0-9_.-]{0,63}/){0,7}[A-Za-z0-9][A-Za-z0-9_.-]{0,63}/?";

    RecordingRoutes(Deps d) {
        super(d);
    }

    @Override
    void mount(Router r) {
        r.post("/v2/recordings/start").handler(api(this::start));
        r.post("/v2/recordings/end").handler(api(this::end));
        r.get("/v2/recordings").handler(api(ctx -> listByRoomAndSession(ctx, backend.recordings()::recordings)));
        r.get("/v2/recordings/:id").handler(api(ctx -> getById(ctx, backend.recordings()::recording)));
        r.delete("/v2/recordings/:id").handler(api(this::delete));
    }

    private Future<JsonObject> start(RoutingContext ctx) {
        JsonObject body = requests.body(ctx);
        return prepare(bodyRoomId(ctx, body), body).get();
    }

    /** A start checked now (400 on a bad field) and made when called: by the route, or at a session's start. */
    Supplier<Future<JsonObject>> prepare(String roomId, JsonObject body) {
        OutputRequest r = outputRequest(roomId, body);
        String dir = requests.optString(body, "awsDirPath");
        if (dir != null && !dir.matches(DIR_PATH)) {
            throw ApiException.badRequest("awsDirPath must be up to 8 folder names of letters, digits, '.', '_' or '-' separated by '/'");
        }
        if (dir != null && dir.contains("..")) throw ApiException.badRequest("awsDirPath must not contain '..'");
        JsonObject tr = requests.optObject(body, "transcription");
        boolean transcribe = false;
        if (tr != null) {
            Object enabled = tr.getValue("enabled");
            if (enabled != null && !(enabled instanceof Boolean)) throw ApiException.badRequest("transcription.enabled must be true or false");
            transcribe = Boolean.TRUE.equals(enabled);
        }
        String preSignedUrl = requests.optString(body, "preSignedUrl");
        if (preSignedUrl != null) backend.webhooks().validateUrl("preSignedUrl", preSignedUrl);
        RecordingOptions options = new RecordingOptions(r.webhookUrl(), dir, transcribe, preSignedUrl);
        return () -> Future.succeededFuture(backend.recordings().start(r.roomId(), r.plan(), options));
    }

    private Future<JsonObject> delete(RoutingContext ctx) {
        String id = Requests.checkId("id", ctx.pathParam("id"));
        Auth.checkRoomAccess(ctx, backend.recordings().recording(id).getString("roomId"));
        return backend.recordings().delete(id);
    }

    private Future<JsonObject> end(RoutingContext ctx) {
        return Future.succeededFuture(backend.recordings().end(bodyRoomId(ctx, requests.body(ctx))));
    }
}
