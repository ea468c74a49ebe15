package io.roomcast.api;

import io.roomcast.transcribe.Transcript;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import static io.roomcast.api.Replies.api;

/** Post-call transcripts: a job per recording or session, listed, fetched and downloaded by format. */
final class TranscriptRoutes extends Routes {
    TranscriptRoutes(Deps d) {
        super(d);
    }

    @Override
    void mount(Router r) {
        r.post("/v2/transcriptions").handler(api(this::create));
        r.get("/v2/transcriptions").handler(api(ctx -> listByRoomAndSession(ctx, backend.postCall()::list)));
        r.get("/v2/transcriptions/:id").handler(api(ctx -> getById(ctx, backend.postCall()::get)));
        r.get("/v2/transcriptions/:id/download").handler(this::download);
    }

    private Future<JsonObject> create(RoutingContext ctx) {
        JsonObject body = requests.body(ctx);
        refuseUnsupported(body);
        String recordingId = requests.optString(body, "recordingId");
        String roomId = null;
        String sessionId = null;
        if (recordingId != null) {
            Requests.checkId("recordingId", recordingId);
            Auth.checkRoomAccess(ctx, backend.recordings().recording(recordingId).getString("roomId"));
        } else {
            if (!body.containsKey("roomId") || !body.containsKey("sessionId")) {
                throw ApiException.badRequest("recordingId, or roomId and sessionId, is required");
            }
            roomId = requests.requireId(body, "roomId");
            sessionId = requests.requireId(body, "sessionId");
            Auth.checkRoomAccess(ctx, roomId);
        }
        String language = requests.optString(body, "language");
        String webhookUrl = webhookUrl(body);
        String room = roomId;
        String session = sessionId;
        return afterNamesChecked(body, () -> Future.succeededFuture(backend.postCall().create(recordingId, room, session, language, webhookUrl)));
    }

    private void download(RoutingContext ctx) {
        String id = Requests.checkId("id", ctx.pathParam("id"));
        String format = ctx.request().getParam("format", "json");
        if (!Transcript.FORMATS.contains(format)) {
            throw ApiException.badRequest("format must be one of " + Transcript.FORMATS);
        }
        JsonObject job = backend.postCall().get(id);
        Auth.checkRoomAccess(ctx, job.getString("roomId"));
        backend.postCall().download(id, format).onComplete(ar -> {
            if (ctx.response().ended()) return;
            if (ar.failed() || ar.result() == null) {
                Replies.unavailable(ctx, "store_unavailable", "the transcript cannot be read from the store right now");
                return;
            }
            ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, Transcript.contentType(format))
                    .putHeader("Content-Disposition", "attachment; filename=\"" + id + "." + format + "\"")
                    .end(ar.result());
        });
    }
}
