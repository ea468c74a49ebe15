package io.roomcast.api;

import io.roomcast.config.Config;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import org.webjars.WebJarVersionLocator;

import java.net.URI;

/**
 * The pages under {@code /console} (the console and the player, with hls.js fetched from the npm
 * registry at build time) and the API explorer at {@code /docs} (Swagger UI from its webjar, on
 * this node's {@code /openapi.yaml}), static files inside the jar. They hold no data: every call they
 * make goes to the API with the token the user gives them, so they are served without one.
 */
final class ConsolePages {
    private ConsolePages() {
    }

    static void mount(Router r, Config config) {
        r.get("/console/dev-token").handler(ctx -> devToken(ctx, config));
        r.route("/console/*").handler(ConsolePages::headers).handler(files("webroot/console"));
        String swagger = new WebJarVersionLocator().version("swagger-ui");
        if (swagger == null) throw new IllegalStateException("the swagger-ui webjar is missing from the jar");
        r.get("/docs").handler(ctx -> {
            // the router also gives "/docs/" to this route
            if (ctx.request().path().equals("/docs")) Replies.redirect(ctx, "/docs/");
            else ctx.next();
        });
        // Our page and its start-up script first, then Swagger UI's own files from the webjar.
        r.route("/docs/*").handler(ConsolePages::headers).handler(files("webroot/docs"))
                .handler(files("META-INF/resources/webjars/swagger-ui/" + swagger));
    }

    /**
     * The console's offer of a token: only on a node that listens on loopback alone and signs with the
     * development secret, and only to a caller on loopback, i.e. whoever could run
     * {@code java -jar roomcast.jar token} on this machine anyway. Everywhere else: 404.
     */
    private static void devToken(RoutingContext ctx, Config config) {
        SocketAddress from = ctx.request().remoteAddress();
        // Not to another site's page in the same browser (CORS is open), nor through a rebound DNS name.
        String host = ctx.request().authority() == null ? null : ctx.request().authority().host(); // Host, or HTTP/2's :authority
        String origin = ctx.request().getHeader(HttpHeaders.ORIGIN);
        String site = ctx.request().getHeader("Sec-Fetch-Site");
        boolean local = config.usesDevelopmentJwtSecret() && loopback(config.str("http.host"))
                && from != null && from.hostAddress() != null && loopback(from.hostAddress())
                && host != null && loopback(host)
                && (origin == null || loopback(originHost(origin)))
                && (site == null || site.equals("same-origin") || site.equals("none"));
        ctx.response().putHeader(HttpHeaders.CACHE_CONTROL, "no-store");
        if (!local) {
            Replies.notFound(ctx, "a development token is offered only on a loopback-only node that uses the development secret");
            return;
        }
        long ttl = 12 * 3600;
        Replies.json(ctx, 200, new JsonObject().put("token", TokenMinter.mint(config.str("auth.jwtSecret"), "roomcast-console", null, ttl))
                .put("expiresInSeconds", ttl));
    }

    private static boolean loopback(String host) {
        return host != null && (host.equals("localhost") || host.equals("::1") || host.startsWith("127."));
    }

    /** The host of an Origin header ("http://127.0.0.1:8080", "http://[::1]:8080"); null when it has none. */
    private static String originHost(String origin) {
        try {
            String host = URI.create(origin).getHost();
            return host != null && host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static StaticHandler files(String root) {
        return StaticHandler.create(root).setIndexPage("index.html").setCachingEnabled(true).setMaxAgeSeconds(300)
                .setDirectoryListing(false);
    }

    private static void headers(RoutingContext ctx) {
        ctx.response().putHeader("X-Content-Type-Options", "nosniff").putHeader("Referrer-Policy", "no-referrer");
        ctx.next();
    }
}
