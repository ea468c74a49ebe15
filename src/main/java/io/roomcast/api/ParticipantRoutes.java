package io.roomcast.api;

import io.roomcast.room.Track;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.roomcast.api.Replies.api;

/** What the SFU calls: participants joining with their tracks' SSRCs, leaving, and their live stats. */
final class ParticipantRoutes extends Routes {
    private static final Set<String> KINDS = Set.of("audio", "video");
    private static final Set<String> SOURCES = Set.of("camera", "mic", "screen");
    private static final Set<String> AUDIO_CODECS = Set.of("opus");
    private static final Set<String> VIDEO_CODECS = Set.of("vp8", "h264");

    ParticipantRoutes(Deps d) {
        super(d);
    }

    @Override
    void mount(Router r) {
        r.post("/v2/rooms/:roomId/participants").handler(api(this::join));
        r.delete("/v2/rooms/:roomId/participants/:participantId").handler(api(this::leave));
        r.get("/v2/rooms/:roomId/participants/:participantId/stats").handler(api(this::stats));
    }

    private Future<JsonObject> join(RoutingContext ctx) {
        String roomId = auth.pathRoomId(ctx);
        rooms.room(roomId);
        JsonObject body = requests.body(ctx);
        String participantId = requests.requireId(body, "participantId");
        String name = requests.requireString(body, "name");
        JsonArray list = requests.requireArray(body, "tracks");
        int maxTracks = config.integer("limits.maxTracksPerParticipant");
        if (list.size() > maxTracks) {
            throw new ApiException(413, "too_many_tracks", "at most " + maxTracks + " tracks per participant");
        }
        List<Track> tracks = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.getValue(i) instanceof JsonObject t)) throw ApiException.badRequest("tracks[" + i + "] must be an object");
            tracks.add(track(t, i));
            if (!seen.add(tracks.get(i).ssrc())) throw ApiException.badRequest("tracks[" + i + "].ssrc is used twice");
        }
        if (cluster != null && rooms.activeSession(roomId) == null && cluster.overCeiling()) {
            throw new ApiException(503, "node_overloaded", "the node that holds room " + roomId
                    + " is over its load ceiling (cluster.maxLoad " + cluster.maxLoad() + "); try again shortly");
        }
        return rooms.join(roomId, participantId, name, tracks).map(j -> new JsonObject()
                .put("sessionId", j.session().sessionId())
                .put("participantId", participantId)
                .put("ingest", new JsonObject().put("protocol", "rtp/udp")
                        .put("host", config.str("rtp.publicHost")).put("port", backend.ingest().port())));
    }

    private Track track(JsonObject t, int i) {
        String p = "tracks[" + i + "].";
        String kind = Requests.field(p, () -> requests.oneOf(t, "kind", KINDS, null));
        boolean audio = kind.equals("audio");
        String source = Requests.field(p, () -> requests.oneOf(t, "source", SOURCES, audio ? "mic" : "camera"));
        if (audio != source.equals("mic")) {
            throw ApiException.badRequest(p + "source '" + source + "' does not fit kind '" + kind + "'");
        }
        String codec = Requests.field(p, () -> requests.oneOf(t, "codec", audio ? AUDIO_CODECS : VIDEO_CODECS, null));
        long ssrc = Requests.field(p, () -> requests.integer(t, "ssrc", null, 0, 0xFFFFFFFFL));
        int payloadType = (int) (long) Requests.field(p, () -> requests.integer(t, "payloadType", null, 0, 127));
        int clockRate = (int) (long) Requests.field(p, () -> requests.integer(t, "clockRate", audio ? 48000L : 90000L, 8000, 192000));
        return new Track(kind, source, codec, ssrc, payloadType, clockRate);
    }

    private Future<JsonObject> stats(RoutingContext ctx) {
        String roomId = auth.pathRoomId(ctx);
        rooms.room(roomId);
        String participantId = Requests.checkId("participantId", ctx.pathParam("participantId"));
        JsonObject stats = backend.ingest().participantStats(roomId, participantId);
        if (stats == null) {
            throw new ApiException(404, "not_found",
                    "participant '" + participantId + "' is not in a session of room '" + roomId + "'");
        }
        return Future.succeededFuture(stats);
    }

    private Future<JsonObject> leave(RoutingContext ctx) {
        String roomId = auth.pathRoomId(ctx);
        String participantId = Requests.checkId("participantId", ctx.pathParam("participantId"));
        return rooms.leave(roomId, participantId).map(s -> new JsonObject()
                .put("sessionId", s.sessionId()).put("participantId", participantId).put("status", "left"));
    }
}
