package io.roomcast.api;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.roomcast.config.Config;
import io.roomcast.events.Webhooks;
import io.roomcast.ingest.RtpIngest;
import io.roomcast.output.OutputService;
import io.roomcast.transcribe.PostCallService;
import io.roomcast.transcribe.Transcript;
import io.roomcast.transcribe.Caption;
import io.roomcast.transcribe.TranscriptionService;
import io.roomcast.room.Room;
import io.roomcast.room.RoomService;
import io.roomcast.room.Session;
import io.roomcast.room.Track;
import io.roomcast.storage.ObjectStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.CorsHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The HTTP API of DESIGN.md on Vert.x Web: JWT on every {@code /v2} route, JSON errors, bounded bodies,
 * paginated lists. Handlers only touch in-memory state and start asynchronous I/O; they never block.
 */
public final class ApiServer {
    private static final Logger LOG = Logger.getLogger(ApiServer.class.getName());
    private static final String ROOM_LIMIT = "roomcast.roomLimit";
    private static final Set<String> KINDS = Set.of("audio", "video");
    private static final Set<String> SOURCES = Set.of("camera", "mic", "screen");
    private static final Set<String> AUDIO_CODECS = Set.of("opus");
    private static final Set<String> VIDEO_CODECS = Set.of("vp8", "h264");
    /** Event types a room's webhook may subscribe to; later outputs add theirs here. */
    public static final Set<String> WEBHOOK_TYPES = Set.of(
            "session-started", "session-ended", "participant-joined", "participant-left", "track-silent", "track-resumed",
            "track-source-changed", "keyframe-needed",
            "speaker-changed",
            "recording-starting", "recording-started", "recording-stopping", "recording-stopped", "recording-failed",
            "recording-spill-limit-reached", "recording-spill-recovered",
            "livestream-starting", "livestream-started", "livestream-stopping", "livestream-stopped", "livestream-failed",
            "hls-started", "hls-playable", "hls-stopped", "hls-failed",
            "transcription-started", "transcription-stopped",
            "post-transcription-completed", "post-transcription-failed");

    private final Vertx vertx;
    private final io.roomcast.cluster.Cluster cluster;
    private final ClusterRouting routing;
    private final Config config;
    private final RoomService rooms;
    private final RtpIngest ingest;
    private final TranscriptionService transcription;
    private final OutputService outputs;
    private final PostCallService postCall;
    private final Webhooks webhooks;
    private final ObjectStore store;
    private final PrometheusMeterRegistry registry;
    private final JWTAuth jwt;
    private final Requests requests;
    private final Router router;
    private final Buffer openApi;
    private final RateLimiter rateLimiter;
    private HttpServer server;

    public ApiServer(Vertx vertx, Config config, RoomService rooms, RtpIngest ingest,
                     TranscriptionService transcription, OutputService outputs, PostCallService postCall, Webhooks webhooks,
                     ObjectStore store, PrometheusMeterRegistry registry, io.roomcast.cluster.Cluster cluster) {
        this.cluster = cluster;
        this.routing = cluster == null ? null
                : new ClusterRouting(vertx, cluster, config.str("http.host"), this::port, config.integer("limits.maxPerPage"));
        this.outputs = outputs;
        this.postCall = postCall;
        this.vertx = vertx;
        this.config = config;
        this.rooms = rooms;
        this.ingest = ingest;
        this.transcription = transcription;
        this.webhooks = webhooks;
        this.store = store;
        this.registry = registry;
        this.jwt = JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(
                new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(config.str("auth.jwtSecret"))));
        this.requests = new Requests(config.integer("limits.maxStringLength"), config.integer("limits.maxPerPage"));
        this.openApi = loadOpenApi();
        this.rateLimiter = new RateLimiter(config.lng("limits.apiRequestsPerSecondPerToken"));
        vertx.setPeriodic(30_000, t -> rateLimiter.sweep(System.nanoTime()));
        this.router = buildRouter();
    }

    private static Buffer loadOpenApi() {
        try (InputStream in = ApiServer.class.getResourceAsStream("/openapi.yaml")) {
            if (in == null) throw new IllegalStateException("openapi.yaml is missing from the jar");
            return Buffer.buffer(in.readAllBytes());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public Router router() {
        return router;
    }

    public Future<HttpServer> listen() {
        HttpServerOptions options = new HttpServerOptions()
                .setHost(config.str("http.host"))
                .setPort(config.integer("http.port"))
                .setMaxInitialLineLength(8192)
                .setMaxHeaderSize(16384)
                .setCompressionSupported(true);
        return vertx.createHttpServer(options).requestHandler(router).listen().onSuccess(s -> {
            server = s;
            if (routing != null) routing.listen();
        });
    }

    public int port() {
        return server.actualPort();
    }

    public Future<Void> close() {
        return server == null ? Future.succeededFuture() : server.close();
    }

    private Router buildRouter() {
        Router r = Router.router(vertx);
        String origins = config.str("http.corsOrigins");
        CorsHandler cors = CorsHandler.create()
                .allowedMethods(Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.DELETE, HttpMethod.OPTIONS))
                .allowedHeaders(Set.of("Authorization", "Content-Type", "Accept", "Last-Event-ID"));
        if (!origins.isBlank() && !origins.equals("*")) cors.addOrigins(List.of(origins.split("\\s*,\\s*")));
        r.route().handler(cors);

        r.get("/health").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "UP")));
        r.get("/ready").handler(this::ready);
        r.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
        r.get("/openapi.yaml").handler(ctx -> ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/yaml")
                .end(openApi));

        BodyHandler body = BodyHandler.create(false).setBodyLimit(config.lng("http.maxBodyBytes"));
        r.route("/v2/*").handler(ctx -> {
            // A WebSocket upgrade has no body, and one read by BodyHandler can no longer be upgraded.
            if ("websocket".equalsIgnoreCase(ctx.request().getHeader(HttpHeaders.UPGRADE))) ctx.next();
            else body.handle(ctx);
        });
        r.route("/v2/*").handler(this::authenticate);
        if (routing != null) r.route("/v2/*").handler(routing::route);

        // Rooms and sessions
        r.post("/v2/rooms").handler(api(this::createRoom));
        r.get("/v2/rooms").handler(api(this::listRooms));
        r.get("/v2/rooms/:roomId").handler(api(this::getRoom));
        r.get("/v2/sessions").handler(api(this::listSessions));
        r.get("/v2/sessions/:sessionId").handler(api(this::getSession));
        r.post("/v2/sessions/end").handler(api(this::endSession));
        // Ingest (the SFU)
        r.post("/v2/rooms/:roomId/participants").handler(api(this::join));
        r.delete("/v2/rooms/:roomId/participants/:participantId").handler(api(this::leave));
        r.get("/v2/rooms/:roomId/participants/:participantId/stats").handler(api(this::stats));
        r.post("/v2/rooms/:roomId/layout").handler(api(this::layout));
        // Outputs
        r.post("/v2/recordings/start").handler(api(this::startRecording));
        r.post("/v2/recordings/end").handler(api(this::endRecording));
        r.get("/v2/recordings").handler(api(this::listRecordings));
        r.get("/v2/recordings/:id").handler(api(this::getRecording));
        r.post("/v2/livestreams/start").handler(api(this::startLivestream));
        r.post("/v2/livestreams/end").handler(api(this::endLivestream));
        r.get("/v2/livestreams").handler(api(this::listLivestreams));
        r.post("/v2/hls/start").handler(api(this::startHls));
        r.post("/v2/hls/end").handler(api(this::endHls));
        r.get("/v2/hls").handler(api(this::listHls));
        r.get("/v2/hls/:id/:file").handler(this::hlsFile);
        r.post("/v2/transcription/start").handler(api(this::startTranscription));
        r.post("/v2/transcription/end").handler(api(this::endTranscription));
        r.get("/v2/rooms/:roomId/captions/ws").handler(this::captionsWebSocket);
        r.get("/v2/rooms/:roomId/captions").handler(this::captions);
        r.post("/v2/transcriptions").handler(api(this::createTranscription));
        r.get("/v2/transcriptions").handler(api(this::listTranscriptions));
        r.get("/v2/transcriptions/:id").handler(api(this::getTranscription));
        r.get("/v2/transcriptions/:id/download").handler(this::downloadTranscription);

        r.route().failureHandler(this::failure);
        r.errorHandler(404, ctx -> error(ctx, 404, "not_found", "no such endpoint: " + ctx.request().method() + " " + ctx.request().path()));
        r.errorHandler(405, ctx -> error(ctx, 405, "method_not_allowed", ctx.request().method() + " is not allowed on " + ctx.request().path()));
        return r;
    }

    private void notYet(Router r, HttpMethod method, String path, String why) {
        r.route(method, path).handler(ctx -> {
            String roomId = ctx.pathParam("roomId");
            if (roomId != null) checkRoomAccess(ctx, roomId);
            error(ctx, 501, "not_implemented", why);
        });
    }

    // ---- plumbing ----

    private Handler api(Function<RoutingContext, Future<JsonObject>> fn) {
        return new Handler(fn);
    }

    /** Runs a handler; its future's JSON is the 200 answer, a failure goes to {@link #failure}. */
    private static final class Handler implements io.vertx.core.Handler<RoutingContext> {
        private final Function<RoutingContext, Future<JsonObject>> fn;

        Handler(Function<RoutingContext, Future<JsonObject>> fn) {
            this.fn = fn;
        }

        @Override
        public void handle(RoutingContext ctx) {
            Future<JsonObject> result;
            try {
                result = fn.apply(ctx);
            } catch (RuntimeException e) {
                ctx.fail(e);
                return;
            }
            result.onComplete(ar -> {
                if (ctx.response().ended()) return;
                if (ar.succeeded()) json(ctx, 200, ar.result());
                else ctx.fail(ar.cause());
            });
        }
    }

    static void json(RoutingContext ctx, int status, JsonObject body) {
        ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(body.toBuffer());
    }

    static void error(RoutingContext ctx, int status, String code, String message) {
        if (ctx.response().ended()) return;
        json(ctx, status, ApiException.body(code, message));
    }

    private void failure(RoutingContext ctx) {
        Throwable t = ctx.failure();
        if (t instanceof ApiException e) {
            if (e.status() == 401) ctx.response().putHeader("WWW-Authenticate", "Bearer");
            error(ctx, e.status(), e.code(), e.getMessage());
            return;
        }
        int status = ctx.statusCode();
        switch (status) {
            case 413 -> error(ctx, 413, "payload_too_large",
                    "the request body is larger than " + config.lng("http.maxBodyBytes") + " bytes");
            case 400 -> error(ctx, 400, "invalid_request", "the request could not be read");
            case 404 -> error(ctx, 404, "not_found", "not found");
            default -> {
                LOG.log(Level.SEVERE, "internal error on " + ctx.request().method() + " " + ctx.request().path(), t);
                error(ctx, status >= 500 ? status : 500, "internal_error",
                        "the server failed to handle this request; it has been logged");
            }
        }
    }

    private void ready(RoutingContext ctx) {
        store.ping().timeout(3, TimeUnit.SECONDS).onComplete(ar -> {
            if (ar.succeeded()) json(ctx, 200, new JsonObject().put("status", "READY"));
            else json(ctx, 503, ApiException.body("not_ready", "the object store is not reachable"));
        });
    }

    // ---- auth ----

    private void authenticate(RoutingContext ctx) {
        if (ctx.request().method() == HttpMethod.OPTIONS) {
            ctx.next();
            return;
        }
        String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
        String queryToken = ctx.request().getParam("token");
        if (header == null && queryToken != null && ctx.request().method() == HttpMethod.GET
                && ctx.request().path().matches("/v2/rooms/[^/]+/captions(/ws)?|/v2/hls/[^/]+/[^/]+")) {
            // Browsers' EventSource and WebSocket, and HLS players, cannot send headers: captions and
            // HLS files also take ?token= (playlists pass it on to the segments).
            header = "Bearer " + queryToken;
        }
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() <= 7) {
            ctx.fail(new ApiException(401, "unauthorized", "an Authorization: Bearer <JWT> header is required"));
            return;
        }
        String token = header.substring(7).trim();
        jwt.authenticate(new TokenCredentials(token)).onComplete(ar -> {
            if (ar.failed()) {
                LOG.fine(() -> "token refused: " + ar.cause().getMessage());
                ctx.fail(new ApiException(401, "unauthorized", "the token is invalid or expired"));
                return;
            }
            io.vertx.ext.auth.User user = ar.result();
            if (!(user.get("exp") instanceof Number)) {
                ctx.fail(new ApiException(401, "unauthorized", "the token must carry an exp claim"));
                return;
            }
            if (!rateLimiter.allow(token, System.nanoTime())) {
                ctx.response().putHeader("Retry-After", "1");
                ctx.fail(new ApiException(429, "rate_limited", "more than "
                        + config.lng("limits.apiRequestsPerSecondPerToken") + " requests a second with this token"));
                return;
            }
            Object roomId = user.principal().getValue("roomId");
            if (roomId != null) ctx.put(ROOM_LIMIT, String.valueOf(roomId));
            Object hls = user.principal().getValue("hls");
            if (hls != null && !(ctx.request().method() == HttpMethod.GET
                    && ctx.request().path().startsWith("/v2/hls/" + hls + "/"))) {
                ctx.fail(new ApiException(403, "forbidden", "this token only plays HLS stream " + hls));
                return;
            }
            ctx.next();
        });
    }

    /** A token limited to one room (claim roomId) may only touch that room. */
    private static void checkRoomAccess(RoutingContext ctx, String roomId) {
        String limit = ctx.get(ROOM_LIMIT);
        if (limit != null && !limit.equals(roomId)) {
            throw new ApiException(403, "forbidden", "this token is limited to another room");
        }
    }

    private static void requireUnlimited(RoutingContext ctx) {
        if (ctx.get(ROOM_LIMIT) != null) {
            throw new ApiException(403, "forbidden", "a token limited to one room cannot do this");
        }
    }

    private String pathRoomId(RoutingContext ctx) {
        String roomId = Requests.checkId("roomId", ctx.pathParam("roomId"));
        checkRoomAccess(ctx, roomId);
        return roomId;
    }

    // ---- rooms ----

    private Future<JsonObject> createRoom(RoutingContext ctx) {
        requireUnlimited(ctx);
        JsonObject body = requests.body(ctx);
        String customRoomId = requests.optString(body, "customRoomId");
        JsonObject webhook = requests.optObject(body, "webhook");
        String url = null;
        List<String> events = null;
        if (webhook != null) {
            url = field("webhook.", () -> requests.requireString(webhook, "url"));
            webhooks.validateUrl("webhook.url", url);
            Object ev = webhook.getValue("events");
            if (ev != null) {
                if (!(ev instanceof JsonArray arr)) throw ApiException.badRequest("webhook.events must be an array");
                events = new ArrayList<>();
                for (Object o : arr) {
                    if (!(o instanceof String s) || !WEBHOOK_TYPES.contains(s)) {
                        throw ApiException.badRequest("webhook.events has an unknown event type: " + o);
                    }
                    events.add(s);
                }
            }
        }
        if (cluster == null) return rooms.createRoom(customRoomId, url, events).map(Room::toJson);
        // In a cluster the room lives here (the entry node placed it by load): say so in the shared map.
        return rooms.createRoom(customRoomId, url, events).compose(room -> vertx.executeBlocking(() -> {
            cluster.own(room.roomId());
            return room.toJson();
        }, false));
    }

    private Future<JsonObject> listRooms(RoutingContext ctx) {
        Requests.Page page = requests.page(ctx);
        String limit = ctx.get(ROOM_LIMIT);
        List<Room> all = rooms.rooms();
        if (limit != null) all = all.stream().filter(room -> room.roomId().equals(limit)).toList();
        return Future.succeededFuture(page.of(all, Room::toJson));
    }

    private Future<JsonObject> getRoom(RoutingContext ctx) {
        return Future.succeededFuture(rooms.room(pathRoomId(ctx)).toJson());
    }

    // ---- sessions ----

    private Future<JsonObject> listSessions(RoutingContext ctx) {
        Requests.Page page = requests.page(ctx);
        String roomId = roomFilter(ctx);
        return Future.succeededFuture(page.of(rooms.sessions(roomId), rooms::sessionJson));
    }

    private Future<JsonObject> getSession(RoutingContext ctx) {
        Session s = rooms.session(Requests.checkId("sessionId", ctx.pathParam("sessionId")));
        checkRoomAccess(ctx, s.roomId());
        return Future.succeededFuture(rooms.sessionJson(s));
    }

    private Future<JsonObject> endSession(RoutingContext ctx) {
        String roomId = requests.requireId(requests.body(ctx), "roomId");
        checkRoomAccess(ctx, roomId);
        return rooms.endSession(roomId).map(rooms::sessionJson);
    }

    // ---- participants ----

    private Future<JsonObject> join(RoutingContext ctx) {
        String roomId = pathRoomId(ctx);
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
                        .put("host", config.str("rtp.publicHost")).put("port", ingest.port())));
    }

    private Track track(JsonObject t, int i) {
        String p = "tracks[" + i + "].";
        String kind = field(p, () -> requests.oneOf(t, "kind", KINDS, null));
        boolean audio = kind.equals("audio");
        String source = field(p, () -> requests.oneOf(t, "source", SOURCES, audio ? "mic" : "camera"));
        if (audio != source.equals("mic")) {
            throw ApiException.badRequest(p + "source '" + source + "' does not fit kind '" + kind + "'");
        }
        String codec = field(p, () -> requests.oneOf(t, "codec", audio ? AUDIO_CODECS : VIDEO_CODECS, null));
        long ssrc = field(p, () -> requests.integer(t, "ssrc", null, 0, 0xFFFFFFFFL));
        int payloadType = (int) (long) field(p, () -> requests.integer(t, "payloadType", null, 0, 127));
        int clockRate = (int) (long) field(p, () -> requests.integer(t, "clockRate", audio ? 48000L : 90000L, 8000, 192000));
        return new Track(kind, source, codec, ssrc, payloadType, clockRate);
    }

    /** Runs a field check of a nested object, naming the field by its full path when it fails. */
    private static <T> T field(String prefix, java.util.function.Supplier<T> check) {
        try {
            return check.get();
        } catch (ApiException e) {
            throw new ApiException(e.status(), e.code(), prefix + e.getMessage());
        }
    }

    private Future<JsonObject> stats(RoutingContext ctx) {
        String roomId = pathRoomId(ctx);
        rooms.room(roomId);
        String participantId = Requests.checkId("participantId", ctx.pathParam("participantId"));
        JsonObject stats = ingest.participantStats(roomId, participantId);
        if (stats == null) {
            throw new ApiException(404, "not_found",
                    "participant '" + participantId + "' is not in a session of room '" + roomId + "'");
        }
        return Future.succeededFuture(stats);
    }

    // ---- live transcription ----

    private Future<JsonObject> startTranscription(RoutingContext ctx) {
        JsonObject body = requests.body(ctx);
        String roomId = requests.requireId(body, "roomId");
        checkRoomAccess(ctx, roomId);
        String language = requests.optString(body, "language");
        String webhookUrl = requests.optString(body, "webhookUrl");
        if (webhookUrl != null) webhooks.validateUrl("webhookUrl", webhookUrl);
        return transcription.start(roomId, language, webhookUrl).map(TranscriptionService.Live::toJson);
    }

    private Future<JsonObject> endTranscription(RoutingContext ctx) {
        String roomId = requests.requireId(requests.body(ctx), "roomId");
        checkRoomAccess(ctx, roomId);
        return transcription.stop(roomId).map(TranscriptionService.Live::toJson);
    }

    // ---- outputs ----

    private static final Set<String> LAYOUT_TYPES = Set.of("GRID", "SPOTLIGHT", "SIDEBAR");
    private static final Set<String> RTMP_SCHEMES = Set.of("rtmp", "rtmps");

    private Future<JsonObject> layout(RoutingContext ctx) {
        String roomId = pathRoomId(ctx);
        JsonObject body = requests.body(ctx);
        String pin = optId(body, "pin");
        String speaker = optId(body, "activeSpeaker");
        String type = body.containsKey("type") ? requests.oneOf(body, "type", LAYOUT_TYPES, null) : null;
        return Future.succeededFuture(outputs.setLayout(roomId, pin, speaker, type,
                body.containsKey("pin") && body.getValue("pin") == null,
                body.containsKey("activeSpeaker") && body.getValue("activeSpeaker") == null));
    }

    private String optId(JsonObject body, String field) {
        String v = requests.optString(body, field);
        return v == null ? null : Requests.checkId(field, v);
    }

    /** Fields every output start shares: roomId (with access check), preset, config, webhookUrl. */
    private record OutputRequest(String roomId, String preset, JsonObject config, String webhookUrl) {
    }

    private OutputRequest outputRequest(RoutingContext ctx, JsonObject body) {
        String roomId = requests.requireId(body, "roomId");
        checkRoomAccess(ctx, roomId);
        String preset = requests.optString(body, "preset");
        if (preset != null) Requests.checkId("preset", preset);
        JsonObject config = requests.optObject(body, "config");
        if (config != null && config.containsKey("layout") && !(config.getValue("layout") instanceof JsonObject)) {
            throw ApiException.badRequest("config.layout must be an object");
        }
        String webhookUrl = requests.optString(body, "webhookUrl");
        if (webhookUrl != null) webhooks.validateUrl("webhookUrl", webhookUrl);
        return new OutputRequest(roomId, preset, config, webhookUrl);
    }

    private Future<JsonObject> startRecording(RoutingContext ctx) {
        JsonObject body = requests.body(ctx);
        OutputRequest r = outputRequest(ctx, body);
        String dir = requests.optString(body, "awsDirPath");
        if (dir != null && !dir.matches("([A-Za-z0-9][A-Za-z0-9_.-]{0,63}/){0,7}[A-Za-z0-9][A-Za-z0-9_.-]{0,63}/?")) {
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
        return Future.succeededFuture(outputs.startRecording(r.roomId(), r.preset(), r.config(), r.webhookUrl(), dir, transcribe));
    }

    private Future<JsonObject> endRecording(RoutingContext ctx) {
        String roomId = requests.requireId(requests.body(ctx), "roomId");
        checkRoomAccess(ctx, roomId);
        return Future.succeededFuture(outputs.endRecording(roomId));
    }

    /** {@code ?roomId=} filter of list endpoints: required for room-limited tokens. */
    private String roomFilter(RoutingContext ctx) {
        String roomId = ctx.request().getParam("roomId");
        if (roomId != null) {
            Requests.checkId("roomId", roomId);
            checkRoomAccess(ctx, roomId);
            rooms.room(roomId);
        } else {
            requireUnlimited(ctx);
        }
        return roomId;
    }

    /** A page of a list filtered by {@code ?roomId=} (checked like any room access) and {@code ?sessionId=}. */
    private Future<JsonObject> listByRoomAndSession(RoutingContext ctx, java.util.function.BiFunction<String, String, List<JsonObject>> list) {
        Requests.Page page = requests.page(ctx);
        String roomId = roomFilter(ctx);
        String sessionId = ctx.request().getParam("sessionId");
        if (sessionId != null) Requests.checkId("sessionId", sessionId);
        return Future.succeededFuture(page.of(list.apply(roomId, sessionId), j -> j));
    }

    /** One item by the {@code :id} of the path, if the token may see its room. */
    private Future<JsonObject> getById(RoutingContext ctx, Function<String, JsonObject> get) {
        JsonObject item = get.apply(Requests.checkId("id", ctx.pathParam("id")));
        checkRoomAccess(ctx, item.getString("roomId"));
        return Future.succeededFuture(item);
    }

    private Future<JsonObject> listRecordings(RoutingContext ctx) {
        return listByRoomAndSession(ctx, outputs::recordings);
    }

    private Future<JsonObject> getRecording(RoutingContext ctx) {
        return getById(ctx, outputs::recording);
    }

    private Future<JsonObject> startLivestream(RoutingContext ctx) {
        JsonObject body = requests.body(ctx);
        OutputRequest r = outputRequest(ctx, body);
        JsonArray outs = requests.requireArray(body, "outputs");
        if (outs.isEmpty()) throw ApiException.badRequest("outputs must name at least one RTMP destination");
        List<String> urls = new ArrayList<>();
        for (int i = 0; i < outs.size(); i++) {
            if (!(outs.getValue(i) instanceof JsonObject o)) throw ApiException.badRequest("outputs[" + i + "] must be an object");
            String url = o.getValue("url") instanceof String u ? u : null;
            if (url == null) throw ApiException.badRequest("outputs[" + i + "].url is required");
            webhooks.validateUrl("outputs[" + i + "].url", url, RTMP_SCHEMES);
            String key = requests.optString(o, "streamKey");
            if (key != null && !key.matches("[A-Za-z0-9_.?=&-]{1,256}")) {
                throw ApiException.badRequest("outputs[" + i + "].streamKey has characters a URL path cannot carry");
            }
            urls.add(key == null || key.isEmpty() ? url : url.replaceAll("/+$", "") + "/" + key);
        }
        return Future.succeededFuture(outputs.startLivestream(r.roomId(), urls, r.preset(), r.config(), r.webhookUrl()));
    }

    private Future<JsonObject> endLivestream(RoutingContext ctx) {
        String roomId = requests.requireId(requests.body(ctx), "roomId");
        checkRoomAccess(ctx, roomId);
        return Future.succeededFuture(outputs.endLivestream(roomId));
    }

    private Future<JsonObject> listLivestreams(RoutingContext ctx) {
        Requests.Page page = requests.page(ctx);
        String roomId = roomFilter(ctx);
        return Future.succeededFuture(latestOnTop(roomId, page.of(outputs.livestreams(roomId), j -> j)));
    }

    /**
     * With {@code ?roomId=} the room's newest item's fields are also at the top level, so
     * {@code GET /v2/hls?roomId=} answers {id, status, playbackHlsUrl, livestreamUrl} as DESIGN.md
     * writes it, while {@code data} keeps the whole, paginated list.
     */
    private static JsonObject latestOnTop(String roomId, JsonObject page) {
        JsonArray data = page.getJsonArray("data");
        if (roomId == null || data.isEmpty()) return page;
        JsonObject out = data.getJsonObject(0).copy();
        out.put("pageInfo", page.getJsonObject("pageInfo")).put("data", data);
        return out;
    }

    private Future<JsonObject> startHls(RoutingContext ctx) {
        OutputRequest r = outputRequest(ctx, requests.body(ctx));
        return Future.succeededFuture(playable(ctx, outputs.startHls(r.roomId(), r.preset(), r.config(), r.webhookUrl())));
    }

    private Future<JsonObject> endHls(RoutingContext ctx) {
        String roomId = requests.requireId(requests.body(ctx), "roomId");
        checkRoomAccess(ctx, roomId);
        return Future.succeededFuture(playable(ctx, outputs.endHls(roomId)));
    }

    private Future<JsonObject> listHls(RoutingContext ctx) {
        Requests.Page page = requests.page(ctx);
        String roomId = roomFilter(ctx);
        return Future.succeededFuture(latestOnTop(roomId, page.of(outputs.hls(roomId), j -> playable(ctx, j))));
    }

    private static final List<String> HLS_URLS = List.of("playbackHlsUrl", "livestreamUrl", "masterPlaylistUrl");

    /**
     * Makes an HLS stream's URLs playable as given: absolute (this server as the caller reached it)
     * and carrying a viewer token that reads only that stream and expires after s3.presignSeconds,
     * like a presigned URL.
     */
    private JsonObject playable(RoutingContext ctx, JsonObject hls) {
        String host = ctx.request().getHeader(ctx.request().getHeader(ClusterRouting.FORWARDED) != null
                ? "X-Forwarded-Host" : HttpHeaders.HOST.toString());
        if (host == null) host = config.str("http.host") + ":" + port();
        String base = (ctx.request().isSSL() ? "https://" : "http://") + host;
        String token = TokenMinter.mintHlsViewer(config.str("auth.jwtSecret"), hls.getString("roomId"), hls.getString("id"),
                config.lng("s3.presignSeconds"));
        for (String field : HLS_URLS) {
            String path = hls.getString(field);
            if (path != null && path.startsWith("/")) hls.put(field, base + path + "?token=" + token);
        }
        return hls;
    }

    /**
     * A playlist or segment of an HLS stream, live or after the end (from the store), with CORS.
     * When the caller authenticated with {@code ?token=}, playlists pass it on to every URI so a
     * player's segment requests carry it too.
     */
    private void hlsFile(RoutingContext ctx) {
        String id = Requests.checkId("id", ctx.pathParam("id"));
        checkRoomAccess(ctx, outputs.hlsRoom(id));
        String file = ctx.pathParam("file");
        outputs.hlsFile(id, file).onComplete(ar -> {
            if (ctx.response().ended()) return;
            if (ar.failed()) {
                error(ctx, 503, "store_unavailable", "the stream's files cannot be read from the store right now");
                return;
            }
            Buffer b = ar.result();
            if (b == null) {
                error(ctx, 404, "not_found", "no such file in HLS stream " + id);
                return;
            }
            boolean playlist = file.endsWith(".m3u8");
            String token = ctx.request().getParam("token");
            if (playlist && token != null && ctx.request().getHeader(HttpHeaders.AUTHORIZATION) == null) {
                String q = "?token=" + java.net.URLEncoder.encode(token, java.nio.charset.StandardCharsets.UTF_8);
                StringBuilder sb = new StringBuilder();
                for (String line : b.toString().split("\n")) {
                    sb.append(line);
                    if (!line.isEmpty() && !line.startsWith("#")) sb.append(q);
                    sb.append('\n');
                }
                b = Buffer.buffer(sb.toString());
            }
            String type = playlist ? "application/vnd.apple.mpegurl" : file.endsWith(".vtt") ? "text/vtt" : "video/mp2t";
            ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, type)
                    .putHeader(HttpHeaders.CACHE_CONTROL, playlist || file.endsWith(".vtt") ? "no-cache" : "max-age=3600")
                    .end(b);
        });
    }

    // ---- post-call transcription ----

    private Future<JsonObject> createTranscription(RoutingContext ctx) {
        JsonObject body = requests.body(ctx);
        String recordingId = requests.optString(body, "recordingId");
        String roomId = null;
        String sessionId = null;
        if (recordingId != null) {
            Requests.checkId("recordingId", recordingId);
            checkRoomAccess(ctx, outputs.recording(recordingId).getString("roomId"));
        } else {
            if (!body.containsKey("roomId") || !body.containsKey("sessionId")) {
                throw ApiException.badRequest("recordingId, or roomId and sessionId, is required");
            }
            roomId = requests.requireId(body, "roomId");
            sessionId = requests.requireId(body, "sessionId");
            checkRoomAccess(ctx, roomId);
        }
        String language = requests.optString(body, "language");
        String webhookUrl = requests.optString(body, "webhookUrl");
        if (webhookUrl != null) webhooks.validateUrl("webhookUrl", webhookUrl);
        return Future.succeededFuture(postCall.create(recordingId, roomId, sessionId, language, webhookUrl));
    }

    private Future<JsonObject> listTranscriptions(RoutingContext ctx) {
        return listByRoomAndSession(ctx, postCall::list);
    }

    private Future<JsonObject> getTranscription(RoutingContext ctx) {
        return getById(ctx, postCall::get);
    }

    private void downloadTranscription(RoutingContext ctx) {
        String id = Requests.checkId("id", ctx.pathParam("id"));
        String format = ctx.request().getParam("format", "json");
        if (!Transcript.FORMATS.contains(format)) {
            throw ApiException.badRequest("format must be one of " + Transcript.FORMATS);
        }
        JsonObject job = postCall.get(id);
        checkRoomAccess(ctx, job.getString("roomId"));
        postCall.download(id, format).onComplete(ar -> {
            if (ctx.response().ended()) return;
            if (ar.failed() || ar.result() == null) {
                error(ctx, 503, "store_unavailable", "the transcript cannot be read from the store right now");
                return;
            }
            ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, Transcript.contentType(format))
                    .putHeader("Content-Disposition", "attachment; filename=\"" + id + "." + format + "\"")
                    .end(ar.result());
        });
    }

    private long sinceParam(RoutingContext ctx) {
        String since = ctx.request().getParam("since");
        if (since == null || since.isEmpty()) return -1;
        try {
            return Long.parseLong(since);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("since must be milliseconds on the session clock (a whole number)");
        }
    }

    /** JSON list of final captions, or Server-Sent Events of every caption with Accept: text/event-stream. */
    private void captions(RoutingContext ctx) {
        String roomId = pathRoomId(ctx);
        long since = sinceParam(ctx);
        String accept = ctx.request().getHeader(HttpHeaders.ACCEPT);
        if (cluster != null && !rooms.isLocal(roomId) && accept != null && accept.contains("text/event-stream")) {
            // Another node runs the room: its captions come over the cluster's event bus.
            vertx.executeBlocking(() -> cluster.owner(roomId), false).onComplete(ar -> {
                if (ar.failed() || ar.result() == null) error(ctx, 404, "not_found", "room " + roomId + " does not exist");
                else captionStream(ctx, roomId, List.of());
            });
            return;
        }
        rooms.room(roomId);
        if (accept == null || !accept.contains("text/event-stream")) {
            JsonArray data = new JsonArray();
            for (Caption c : transcription.captions(roomId, since)) data.add(c.toJson());
            TranscriptionService.Live live = transcription.running(roomId);
            json(ctx, 200, new JsonObject().put("roomId", roomId)
                    .put("transcription", live == null ? null : live.toJson()).put("data", data));
            return;
        }
        captionStream(ctx, roomId, transcription.captions(roomId, since));
    }

    /** Server-Sent Events: the backlog, then every caption published for the room on the event bus. */
    private void captionStream(RoutingContext ctx, String roomId, List<Caption> backlog) {
        var response = ctx.response().setChunked(true).putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache").putHeader("X-Accel-Buffering", "no");
        response.write(": captions of room " + roomId + "\n\n");
        for (Caption c : backlog) {
            response.write("event: caption\nid: " + c.seq() + "\ndata: " + c.toJson().encode() + "\n\n");
        }
        var consumer = vertx.eventBus().<JsonObject>consumer(TranscriptionService.ADDRESS + "." + roomId, msg ->
                response.write("event: caption\nid: " + msg.body().getLong("seq") + "\ndata: " + msg.body().encode() + "\n\n"));
        long keepAlive = vertx.setPeriodic(15_000, t -> response.write(": keep-alive\n\n"));
        response.closeHandler(v -> {
            consumer.unregister();
            vertx.cancelTimer(keepAlive);
        });
    }

    private void captionsWebSocket(RoutingContext ctx) {
        String roomId = pathRoomId(ctx);
        if (cluster == null || rooms.isLocal(roomId)) rooms.room(roomId); // elsewhere in a cluster: fed by the event bus
        ctx.request().toWebSocket().onSuccess(ws -> {
            var consumer = vertx.eventBus().<JsonObject>consumer(TranscriptionService.ADDRESS + "." + roomId,
                    msg -> ws.writeTextMessage(msg.body().encode()));
            ws.closeHandler(v -> consumer.unregister());
            ws.textMessageHandler(m -> {
                // Clients only listen; anything they send is ignored.
            });
        }).onFailure(e -> {
            if (!ctx.response().ended()) error(ctx, 400, "invalid_request", "a WebSocket upgrade is required here");
        });
    }

    private Future<JsonObject> leave(RoutingContext ctx) {
        String roomId = pathRoomId(ctx);
        String participantId = Requests.checkId("participantId", ctx.pathParam("participantId"));
        return rooms.leave(roomId, participantId).map(s -> new JsonObject()
                .put("sessionId", s.sessionId()).put("participantId", participantId).put("status", "left"));
    }
}
