package io.roomcast.api;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.roomcast.cluster.Cluster;
import io.roomcast.config.Config;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PfxOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.CorsHandler;

import java.util.List;
import java.util.Set;

/**
 * The HTTP API of DESIGN.md on Vert.x Web, set up here: CORS, bounded bodies, a JWT on every
 * {@code /v2} route ({@link Auth}), routing to the room's node in a cluster, then one route class
 * per resource, and JSON errors ({@link Replies}).
 */
public final class ApiServer {
    private final Vertx vertx;
    private final Config config;
    private final ClusterRouting routing;
    private final Router router;
    private HttpServer server;

    public ApiServer(Vertx vertx, Config config, Backend backend, PrometheusMeterRegistry registry, Cluster cluster) {
        this.vertx = vertx;
        this.config = config;
        this.routing = cluster == null ? null
                : new ClusterRouting(vertx, cluster, config.str("http.host"), this::port, config.integer("limits.maxPerPage"));
        Auth auth = new Auth(vertx, config.str("auth.jwtSecret"), config.str("auth.previousJwtSecret"), config.lng("limits.apiRequestsPerSecondPerToken"), backend.rooms());
        Requests requests = new Requests(config.integer("limits.maxStringLength"), config.integer("limits.maxPerPage"));
        Routes.Deps deps = new Routes.Deps(vertx, config, backend, requests, auth, cluster);
        RecordingRoutes recordings = new RecordingRoutes(deps);
        LivestreamRoutes livestreams = new LivestreamRoutes(deps);
        HlsRoutes hls = new HlsRoutes(deps, this::port);
        CaptionRoutes captions = new CaptionRoutes(deps);
        AutoStart autoStart = new AutoStart(recordings, hls, livestreams, captions);
        autoStart.listen(vertx, backend.rooms());
        this.router = buildRouter(auth, List.of(new RoomRoutes(deps, autoStart), new ParticipantRoutes(deps), recordings,
                livestreams, hls, captions, new TranscriptRoutes(deps), new MessageRoutes(deps, this::port),
                new RoomEventRoutes(deps)), new OpsRoutes(deps, registry));
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
        String keyStore = config.str("http.keyStore");
        if (!keyStore.isBlank()) {
            // HTTPS on the API and HLS port itself, for a deployment without a TLS-terminating proxy.
            options.setSsl(true).setKeyCertOptions(new PfxOptions().setPath(keyStore).setPassword(config.str("http.keyStorePassword")));
        }
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

    private Router buildRouter(Auth auth, List<Routes> resources, OpsRoutes ops) {
        Router r = Router.router(vertx);
        String origins = config.str("http.corsOrigins");
        CorsHandler cors = CorsHandler.create()
                .allowedMethods(Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.DELETE, HttpMethod.OPTIONS))
                .allowedHeaders(Set.of("Authorization", "Content-Type", "Accept", "Last-Event-ID"));
        if (!origins.isBlank() && !origins.equals("*")) cors.addOrigins(List.of(origins.split("\\s*,\\s*")));
        r.route().handler(cors);
        ops.mount(r);
        ConsolePages.mount(r, config);

        long maxBody = config.lng("http.maxBodyBytes");
        BodyHandler body = BodyHandler.create(false).setBodyLimit(maxBody);
        // Roomcast's API, and VideoSDK's paths for live transcription: the same guards on both.
        for (String api : List.of("/v2/*", "/ai/v1/*")) {
            r.route(api).handler(ctx -> {
                // A WebSocket upgrade has no body, and one read by BodyHandler can no longer be upgraded.
                if ("websocket".equalsIgnoreCase(ctx.request().getHeader(HttpHeaders.UPGRADE))) ctx.next();
                else body.handle(ctx);
            });
            r.route(api).handler(auth::authenticate);
            if (routing != null) r.route(api).handler(routing::route);
        }
        for (Routes resource : resources) resource.mount(r);

        r.route().failureHandler(Replies.failure(maxBody));
        r.errorHandler(404, ctx -> Replies.error(ctx, 404, "not_found", "no such endpoint: " + ctx.request().method() + " " + ctx.request().path()));
        r.errorHandler(405, ctx -> Replies.error(ctx, 405, "method_not_allowed", ctx.request().method() + " is not allowed on " + ctx.request().path()));
        return r;
    }
}
