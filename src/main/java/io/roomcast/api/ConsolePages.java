package io.roomcast.api;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * The pages under {@code /console}, static files inside the jar (the player, and hls.js fetched from
 * the npm registry at build time). They hold no data: every call they make goes to the API with the
 * token the user gives them, so they are served without one.
 */
final class ConsolePages {
    private ConsolePages() {
    }

    static void mount(Router r) {
        StaticHandler files = StaticHandler.create("webroot/console")
                .setIndexPage("index.html")
                .setCachingEnabled(true)
                .setMaxAgeSeconds(300)
                .setDirectoryListing(false);
        r.route("/console/*").handler(ctx -> {
            ctx.response().putHeader("X-Content-Type-Options", "nosniff")
                    .putHeader("Referrer-Policy", "no-referrer");
            ctx.next();
        }).handler(files);
    }
}
