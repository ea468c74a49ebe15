package io.roomcast.api;

import io.roomcast.room.RoomService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.RoutingContext;

import java.util.logging.Logger;

/**
 * Who may call: a JWT (HS256, with exp) on every {@code /v2} route, a request rate per token, and
 * the limits a token carries (one room, or one HLS stream to play). Runs on the event loop.
 */
final class Auth {
    private static final Logger LOG = Logger.getLogger(Auth.class.getName());
    private static final String ROOM_LIMIT = "roomcast.roomLimit";
    private static final String VIEWER = "roomcast.viewer";

    /** An HLS viewer's token: the stream it plays, its sender id for messages, and its name (may be null). */
    record Viewer(String hlsId, String senderId, String name) {
    }

    /** The viewer behind the request, or null for an API token. */
    static Viewer viewer(RoutingContext ctx) {
        return ctx.get(VIEWER);
    }
    private static final String QUERY_TOKEN_PATHS = "/v2/rooms/[^/]+/(captions|messages)(/ws)?|/v2/rooms/[^/]+/events|/v2/hls/[^/]+/[^/]+";

    private final JWTAuth jwt;
    /** While the JWT secret is rotated, tokens signed with the one before are still taken; null when none. */
    private final JWTAuth previous;
    private final RateLimiter rateLimiter;
    private final long perSecond;
    private final RoomService rooms;

    Auth(Vertx vertx, String jwtSecret, String previousJwtSecret, long requestsPerSecond, RoomService rooms) {
        this.jwt = hs256(vertx, jwtSecret);
        this.previous = previousJwtSecret == null || previousJwtSecret.isEmpty() ? null : hs256(vertx, previousJwtSecret);
        this.rateLimiter = new RateLimiter(requestsPerSecond);
        this.perSecond = requestsPerSecond;
        this.rooms = rooms;
        vertx.setPeriodic(30_000, t -> rateLimiter.sweep(System.nanoTime()));
    }

    private static JWTAuth hs256(Vertx vertx, String secret) {
        return JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret)));
    }

    /** The route handler: passes an authenticated request on, fails the others with 401/403/429. */
    void authenticate(RoutingContext ctx) {
        if (ctx.request().method() == HttpMethod.OPTIONS) {
            ctx.next();
            return;
        }
        String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
        String queryToken = ctx.request().getParam("token");
        if (header == null && queryToken != null && ctx.request().method() == HttpMethod.GET
                && ctx.request().path().matches(QUERY_TOKEN_PATHS)) {
            // Browsers' EventSource and WebSocket, and HLS players, cannot send headers: captions and
            // HLS files also take ?token= (playlists pass it on to the segments).
            header = "Bearer " + queryToken;
        }
        if (header == null || header.isBlank() || header.trim().equalsIgnoreCase("Bearer")) {
            ctx.fail(new ApiException(401, "unauthorized", "an Authorization: Bearer <JWT> header is required"));
            return;
        }
        // VideoSDK's clients send the bare token, without "Bearer ".
        String token = (header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7) : header).trim();
        TokenCredentials credentials = new TokenCredentials(token);
        Future<User> checked = jwt.authenticate(credentials)
                .recover(e -> previous == null ? Future.failedFuture(e) : previous.authenticate(credentials));
        checked.onComplete(ar -> {
            if (ar.failed()) {
                LOG.fine(() -> "token refused: " + ar.cause().getMessage());
                ctx.fail(new ApiException(401, "unauthorized", "the token is invalid or expired"));
                return;
            }
            User user = ar.result();
            if (!(user.get("exp") instanceof Number)) {
                ctx.fail(new ApiException(401, "unauthorized", "the token must carry an exp claim"));
                return;
            }
            if (!rateLimiter.allow(token, System.nanoTime())) {
                ctx.response().putHeader("Retry-After", "1");
                ctx.fail(new ApiException(429, "rate_limited", "more than " + perSecond + " requests a second with this token"));
                return;
            }
            Object roomId = user.principal().getValue("roomId");
            if (roomId != null) ctx.put(ROOM_LIMIT, rooms.canonicalId(String.valueOf(roomId)));
            Object hls = user.principal().getValue("hls");
            if (hls != null) {
                boolean plays = ctx.request().method() == HttpMethod.GET && ctx.request().path().startsWith("/v2/hls/" + hls + "/");
                String path = ctx.request().path();
                HttpMethod method = ctx.request().method();
                boolean messages = roomId != null && (path.matches("/v2/rooms/[^/]+/messages(/ws)?")
                        && (method == HttpMethod.GET || method == HttpMethod.POST)
                        || path.matches("/v2/rooms/[^/]+/polls/[^/]+") && method == HttpMethod.GET);
                if (!plays && !messages) {
                    ctx.fail(new ApiException(403, "forbidden", "this token only plays HLS stream " + hls + " and takes part in its room's messages"));
                    return;
                }
                Object viewer = user.principal().getValue("viewer");
                Object name = user.principal().getValue("name");
                ctx.put(VIEWER, new Viewer(String.valueOf(hls), viewer == null ? "hls-" + hls : "viewer-" + viewer,
                        name instanceof String n ? n : null));
            }
            ctx.next();
        });
    }

    /** A token limited to one room (claim roomId) may only touch that room. */
    static void checkRoomAccess(RoutingContext ctx, String roomId) {
        String limit = ctx.get(ROOM_LIMIT);
        if (limit != null && !limit.equals(roomId)) {
            throw new ApiException(403, "forbidden", "this token is limited to another room");
        }
    }

    static void requireUnlimited(RoutingContext ctx) {
        if (ctx.get(ROOM_LIMIT) != null) {
            throw new ApiException(403, "forbidden", "a token limited to one room cannot do this");
        }
    }

    /** The room the token is limited to, or null. */
    static String roomLimit(RoutingContext ctx) {
        return ctx.get(ROOM_LIMIT);
    }

    /** The {@code :roomId} of the path, if the token may touch it. */
    String pathRoomId(RoutingContext ctx) {
        String roomId = rooms.canonicalId(Requests.checkId("roomId", ctx.pathParam("roomId")));
        checkRoomAccess(ctx, roomId);
        return roomId;
    }

    /** {@code ?roomId=} filter of list endpoints (the room must exist): required for room-limited tokens. */
    String roomFilter(RoutingContext ctx) {
        String roomId = ctx.request().getParam("roomId");
        if (roomId != null) {
            roomId = rooms.canonicalId(Requests.checkId("roomId", roomId));
            checkRoomAccess(ctx, roomId);
            rooms.room(roomId);
        } else {
            requireUnlimited(ctx);
        }
        return roomId;
    }
}
