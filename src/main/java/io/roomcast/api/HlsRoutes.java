package io.roomcast.api;

import io.roomcast.errors.Refusal;
import io.roomcast.messages.Message;
import io.roomcast.room.Ids;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.roomcast.api.Replies.api;

/** HLS: start, end, list, and the playlists and segments themselves, live or from the store. */
final class HlsRoutes extends Routes {
    private static final List<String> HLS_URLS = List.of("playbackHlsUrl", "livestreamUrl", "masterPlaylistUrl");

    private final IntSupplier port;

    HlsRoutes(Deps d, IntSupplier port) {
        super(d);
        this.port = port;
    }

    @Override
    void mount(Router r) {
        r.post("/v2/hls/start").handler(api(this::start));
        r.post("/v2/hls/end").handler(api(ctx -> Future.succeededFuture(playable(ctx, backend.hls().end(bodyRoomId(ctx, requests.body(ctx)))))));
        r.get("/v2/hls").handler(api(this::list));
        r.get("/v2/hls/:roomId/active").handler(api(ctx -> Future.succeededFuture(playable(ctx,
                backend.hls().active(auth.pathRoomId(ctx))))));
        r.get("/v2/hls/:id").handler(api(ctx -> getById(ctx, id -> playable(ctx, backend.hls().get(id)))));
        r.get("/v2/hls/:id/:file").handler(this::file);
        r.post("/v2/hls/:id/viewers").handler(api(this::viewer));
    }

    /**
     * A token for one viewer of the stream ({@code {name?}}): it plays the stream like the URLs' token,
     * and publishes messages to the start's config.viewerTopics as sender {@code viewer-<viewerId>}.
     */
    private Future<JsonObject> viewer(RoutingContext ctx) {
        JsonObject body = ctx.body() == null || ctx.body().length() == 0 ? new JsonObject() : requests.body(ctx);
        String name = requests.optString(body, "name");
        return getById(ctx, backend.hls()::get).map(stream -> {
            String viewerId = Ids.hex24().substring(0, 12);
            long ttl = config.lng("s3.presignSeconds");
            String token = TokenMinter.mintHlsViewer(config.str("auth.jwtSecret"), stream.getString("roomId"), stream.getString("id"),
                    ttl, viewerId, name);
            JsonObject urls = playable(ctx, stream, token);
            return new JsonObject().put("hlsId", stream.getString("id")).put("roomId", stream.getString("roomId"))
                    .put("viewerId", viewerId).put("senderId", "viewer-" + viewerId).put("name", name).put("token", token)
                    .put("expiresAt", Instant.now().plusSeconds(ttl).toString())
                    .put("viewerTopics", stream.getJsonArray("viewerTopics"))
                    .put("playbackHlsUrl", urls.getString("playbackHlsUrl")).put("livestreamUrl", urls.getString("livestreamUrl"));
        });
    }

    private Future<JsonObject> start(RoutingContext ctx) {
        JsonObject body = requests.body(ctx);
        return afterNamesChecked(body, prepare(bodyRoomId(ctx, body), body)).map(j -> playable(ctx, j));
    }

    /** A start checked now (400 on a bad field) and made when called: by the route, or at a session's start. */
    Supplier<Future<JsonObject>> prepare(String roomId, JsonObject body) {
        OutputRequest r = outputRequest(roomId, body);
        JsonObject config = body.getValue("config") instanceof JsonObject c ? c : new JsonObject();
        JsonObject hls = Requests.field("config.", () -> requests.optObject(config, "hls"));
        Object ll = hls == null ? null : hls.getValue("lowLatency");
        if (ll != null && !(ll instanceof Boolean)) throw ApiException.badRequest("config.hls.lowLatency must be true or false");
        boolean lowLatency = Boolean.TRUE.equals(ll);
        List<String> viewerTopics = topics(config, "viewerTopics");
        List<String> timedMetadataTopics = topics(config, "timedMetadataTopics");
        return () -> Future.succeededFuture(backend.hls().start(r.roomId(), r.plan(), r.webhookUrl(), r.thumbnails(), lowLatency,
                viewerTopics, timedMetadataTopics));
    }

    /** config.{field}: message topics (strings), at most 20. */
    private List<String> topics(JsonObject config, String field) {
        Object v = config.getValue(field);
        if (v == null) return List.of();
        if (!(v instanceof JsonArray a) || a.size() > 20) throw ApiException.badRequest("config." + field + " must be an array of at most 20 topics");
        List<String> out = new ArrayList<>();
        int max = backend.messages().limits().maxTopicChars();
        for (Object t : a) {
            if (!(t instanceof String s) || !Message.isTopic(s, max)) {
                throw ApiException.badRequest("config." + field + " must list topics of 1 to " + max + " letters, digits or _.:-");
            }
            out.add(s);
        }
        return out;
    }

    private Future<JsonObject> list(RoutingContext ctx) {
        Requests.Page page = requests.page(ctx);
        String roomId = auth.roomFilter(ctx);
        return Future.succeededFuture(latestOnTop(roomId, page.of(backend.hls().list(roomId), j -> playable(ctx, j))));
    }

    /**
     * Makes an HLS stream's URLs playable as given: absolute (this server as the caller reached it)
     * and carrying a viewer token that reads only that stream and expires after s3.presignSeconds,
     * like a presigned URL.
     */
    private JsonObject playable(RoutingContext ctx, JsonObject stream) {
        return playable(ctx, stream, TokenMinter.mintHlsViewer(config.str("auth.jwtSecret"), stream.getString("roomId"),
                stream.getString("id"), config.lng("s3.presignSeconds")));
    }

    private JsonObject playable(RoutingContext ctx, JsonObject stream, String token) {
        String host = ctx.request().getHeader(ctx.request().getHeader(ClusterRouting.FORWARDED) != null
                ? "X-Forwarded-Host" : HttpHeaders.HOST.toString());
        if (host == null) host = config.str("http.host") + ":" + port.getAsInt();
        String base = (ctx.request().isSSL() ? "https://" : "http://") + host;
        for (String field : HLS_URLS) {
            String path = stream.getString(field);
            if (path != null && path.startsWith("/")) stream.put(field, base + path + "?token=" + token);
        }
        return stream;
    }

    /**
     * A playlist or segment of an HLS stream, live or after the end (from the store), with CORS.
     * When the caller authenticated with {@code ?token=}, playlists pass it on to every URI so a
     * player's segment requests carry it too.
     */
    private void file(RoutingContext ctx) {
        String id = Requests.checkId("id", ctx.pathParam("id"));
        Auth.checkRoomAccess(ctx, backend.hls().roomOf(id));
        String file = ctx.pathParam("file");
        // LL-HLS blocking playlist reload: _HLS_msn (and _HLS_part) wait for that segment (part).
        int msn = Requests.queryInt(ctx, "_HLS_msn", -1, 0, Integer.MAX_VALUE);
        int part = Requests.queryInt(ctx, "_HLS_part", -1, 0, 1000);
        if (part >= 0 && msn < 0) throw ApiException.badRequest("_HLS_part needs _HLS_msn");
        backend.hls().file(id, file, msn, part).onComplete(ar -> {
            if (ctx.response().ended()) return;
            if (ar.failed() && ar.cause() instanceof Refusal) {
                ctx.fail(ar.cause());
                return;
            }
            if (ar.failed()) {
                Replies.unavailable(ctx, "store_unavailable", "the stream's files cannot be read from the store right now");
                return;
            }
            Buffer b = ar.result();
            if (b == null) {
                Replies.notFound(ctx, "no such file in HLS stream " + id);
                return;
            }
            boolean playlist = file.endsWith(".m3u8");
            String token = ctx.request().getParam("token");
            if (playlist && token != null && ctx.request().getHeader(HttpHeaders.AUTHORIZATION) == null) {
                b = Buffer.buffer(withToken(b.toString(), token));
            }
            String type = playlist ? "application/vnd.apple.mpegurl" : file.endsWith(".vtt") ? "text/vtt"
                    : file.endsWith(".ts") ? "video/mp2t" : "video/mp4";
            ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, type)
                    .putHeader(HttpHeaders.CACHE_CONTROL, playlist || file.endsWith(".vtt") ? "no-cache" : "max-age=3600")
                    .end(b);
        });
    }

    /** The playlist with {@code ?token=} after every URI: URI lines and URI="..." attributes of tags. */
    static String withToken(String playlist, String token) {
        String q = "?token=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder();
        for (String line : playlist.split("\n")) {
            if (line.startsWith("#")) sb.append(URI_ATTRIBUTE.matcher(line).replaceAll(m -> Matcher.quoteReplacement("URI=\"" + m.group(1) + q + "\"")));
            else sb.append(line);
            if (!line.isEmpty() && !line.startsWith("#")) sb.append(q);
            sb.append('\n');
        }
        return sb.toString();
    }

    private static final Pattern URI_ATTRIBUTE = Pattern.compile("URI=\"([^\"?]+)\"");
}
