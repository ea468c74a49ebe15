package io.roomcast.api;

import io.roomcast.output.Thumbnails;
import io.roomcast.output.recording.RecordingOptions;
import io.roomcast.output.recording.TrackKind;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

import static io.roomcast.api.Replies.api;

/** Cloud recordings (the room's composite, a participant's, a track's): start, end, list, get and delete. */
final class RecordingRoutes extends Routes {
    private static final Set<String> KINDS = Set.of("audio", "video", "screen_video", "screen_audio");
    private static final String DIR_PATH = "([A-Za-z0-9][A-Za-z0-9_.-]{0,63}/){0,7}[A-Za-z0-9][A-Za-z0-9_.-]{0,63}/?";

    RecordingRoutes(Deps d) {
        super(d);
    }

    @Override
    void mount(Router r) {
        // VideoSDK's participant and track recordings, before /v2/recordings/:id
        r.post("/v2/recordings/participant/start").handler(api(this::startParticipant));
        r.post("/v2/recordings/participant/stop").handler(api(this::stopParticipant));
        r.get("/v2/recordings/participant").handler(api(ctx -> listOfParticipant(ctx, backend.recordings()::participantRecordings)));
        r.post("/v2/recordings/participant/track/start").handler(api(this::startTrack));
        r.post("/v2/recordings/participant/track/stop").handler(api(this::stopTrack));
        r.get("/v2/recordings/participant/track").handler(api(ctx -> listOfParticipant(ctx, backend.recordings()::trackRecordings)));
        r.post("/v2/recordings/start").handler(api(this::start));
        r.post("/v2/recordings/end").handler(api(this::end));
        r.post("/v2/recordings/pause").handler(api(ctx -> Future.succeededFuture(backend.recordings().pause(bodyRoomId(ctx, requests.body(ctx))))));
        r.post("/v2/recordings/resume").handler(api(ctx -> Future.succeededFuture(backend.recordings().resume(bodyRoomId(ctx, requests.body(ctx))))));
        r.get("/v2/recordings").handler(api(ctx -> listByRoomAndSession(ctx, backend.recordings()::recordings)));
        r.get("/v2/recordings/:id").handler(api(ctx -> getById(ctx, backend.recordings()::recording)));
        r.delete("/v2/recordings/:id").handler(api(this::delete));
    }

    private Future<JsonObject> start(RoutingContext ctx) {
        JsonObject body = requests.body(ctx);
        return afterNamesChecked(body, prepare(bodyRoomId(ctx, body), body));
    }

    /** A start checked now (400 on a bad field) and made when called: by the route, or at a session's start. */
    Supplier<Future<JsonObject>> prepare(String roomId, JsonObject body) {
        OutputRequest r = outputRequest(roomId, body);
        RecordingOptions options = options(body, r.webhookUrl(), r.thumbnails());
        return () -> Future.succeededFuture(backend.recordings().start(r.roomId(), r.plan(), options));
    }

    /** What a start asks beside the plan: folder ({@code awsDirPath}, or VideoSDK's {@code bucketDirPath}), transcript, preSignedUrl. */
    private RecordingOptions options(JsonObject body, String webhookUrl, Thumbnails.Options thumbnails) {
        String field = body.containsKey("awsDirPath") || !body.containsKey("bucketDirPath") ? "awsDirPath" : "bucketDirPath";
        String dir = requests.optString(body, field);
        if (dir != null && !dir.matches(DIR_PATH)) {
            throw ApiException.badRequest(field + " must be up to 8 folder names of letters, digits, '.', '_' or '-' separated by '/'");
        }
        if (dir != null && dir.contains("..")) throw ApiException.badRequest(field + " must not contain '..'");
        JsonObject tr = requests.optObject(body, "transcription");
        boolean transcribe = false;
        if (tr != null) {
            Object enabled = tr.getValue("enabled");
            if (enabled != null && !(enabled instanceof Boolean)) throw ApiException.badRequest("transcription.enabled must be true or false");
            transcribe = Boolean.TRUE.equals(enabled);
        }
        String preSignedUrl = requests.optString(body, "preSignedUrl");
        if (preSignedUrl != null) backend.webhooks().validateUrl("preSignedUrl", preSignedUrl);
        return new RecordingOptions(webhookUrl, dir, transcribe, preSignedUrl, thumbnails);
    }

    /**
     * One participant as their own file: {@code fileFormat: mp4} (the default) is their camera (or
     * placeholder) and voice encoded by the plan; {@code webm} (VideoSDK's) copies their VP8 camera
     * and Opus microphone as sent.
     */
    private Future<JsonObject> startParticipant(RoutingContext ctx) {
        JsonObject body = requests.body(ctx);
        String roomId = bodyRoomId(ctx, body);
        String participantId = requests.requireId(body, "participantId");
        String format = requests.oneOf(body, "fileFormat", Set.of("mp4", "webm"), "mp4");
        if (format.equals("webm")) {
            if (body.containsKey("config") || body.containsKey("preset")) {
                throw ApiException.badRequest("config and preset do not apply to fileFormat webm: the tracks are copied as sent");
            }
            refuseUnsupported(body);
            RecordingOptions options = options(body, webhookUrl(body), null);
            if (options.transcribe() || options.preSignedUrl() != null) {
                throw ApiException.badRequest("transcription and preSignedUrl are for fileFormat mp4 participant recordings");
            }
            return afterNamesChecked(body, () -> Future.succeededFuture(backend.recordings().startParticipantCopy(roomId, participantId, options)));
        }
        OutputRequest r = outputRequest(roomId, body);
        RecordingOptions options = options(body, r.webhookUrl(), r.thumbnails());
        return afterNamesChecked(body, () -> Future.succeededFuture(backend.recordings().startParticipant(roomId, participantId, r.plan(), options)));
    }

    private Future<JsonObject> stopParticipant(RoutingContext ctx) {
        JsonObject body = requests.body(ctx);
        String roomId = bodyRoomId(ctx, body);
        return Future.succeededFuture(backend.recordings().endParticipant(roomId, requests.requireId(body, "participantId")));
    }

    /** One track copied as sent into WebM: {@code kind} audio, video or screen_video. */
    private Future<JsonObject> startTrack(RoutingContext ctx) {
        JsonObject body = requests.body(ctx);
        String roomId = bodyRoomId(ctx, body);
        String participantId = requests.requireId(body, "participantId");
        TrackKind kind = trackKind(body);
        requests.oneOf(body, "fileFormat", Set.of("webm"), "webm");
        if (body.containsKey("config") || body.containsKey("preset")) {
            throw ApiException.badRequest("config and preset do not apply to a track recording: the track is copied as sent");
        }
        RecordingOptions options = options(body, webhookUrl(body), null);
        if (options.transcribe() || options.preSignedUrl() != null) {
            throw ApiException.badRequest("transcription and preSignedUrl are not offered for track recordings");
        }
        return afterNamesChecked(body, () -> Future.succeededFuture(backend.recordings().startTrack(roomId, participantId, kind, options)));
    }

    private Future<JsonObject> stopTrack(RoutingContext ctx) {
        JsonObject body = requests.body(ctx);
        String roomId = bodyRoomId(ctx, body);
        String participantId = requests.requireId(body, "participantId");
        return Future.succeededFuture(backend.recordings().endTrack(roomId, participantId, trackKind(body)));
    }

    private TrackKind trackKind(JsonObject body) {
        String wire = requests.oneOf(body, "kind", KINDS, null);
        if (wire.equals("screen_audio")) {
            throw ApiException.badRequest("kind screen_audio is not carried: Roomcast's audio tracks are microphones");
        }
        return TrackKind.of(wire);
    }

    /** A list by {@code ?roomId=&sessionId=}, and {@code ?participantId=} when given. */
    private Future<JsonObject> listOfParticipant(RoutingContext ctx, ParticipantList list) {
        String participantId = ctx.request().getParam("participantId");
        if (participantId != null) Requests.checkId("participantId", participantId);
        return listByRoomAndSession(ctx, (roomId, sessionId) -> list.of(roomId, sessionId, participantId));
    }

    private interface ParticipantList {
        List<JsonObject> of(String roomId, String sessionId, String participantId);
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
