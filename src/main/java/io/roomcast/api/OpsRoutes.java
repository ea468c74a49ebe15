package io.roomcast.api;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.TimeUnit;

/** What operators and tools read without a token: health, readiness, metrics and the OpenAPI document. */
final class OpsRoutes extends Routes {
    private final PrometheusMeterRegistry registry;
    private final Buffer openApi = loadOpenApi();

    OpsRoutes(Deps d, PrometheusMeterRegistry registry) {
        super(d);
        this.registry = registry;
    }

    private static Buffer loadOpenApi() {
        try (InputStream in = OpsRoutes.class.getResourceAsStream("/openapi.yaml")) {
            if (in == null) throw new IllegalStateException("openapi.yaml is missing from the jar");
            return Buffer.buffer(in.readAllBytes());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    void mount(Router r) {
        r.get("/health").handler(ctx -> Replies.json(ctx, 200, new JsonObject().put("status", "UP")));
        r.get("/ready").handler(this::ready);
        r.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
        r.get("/openapi.yaml").handler(ctx -> ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/yaml")
                .end(openApi));
    }

    private void ready(RoutingContext ctx) {
        backend.store().ping().timeout(3, TimeUnit.SECONDS).onComplete(ar -> {
            if (ar.succeeded()) Replies.json(ctx, 200, new JsonObject().put("status", "READY"));
            else Replies.unavailable(ctx, "not_ready", "the object store is not reachable");
        });
    }
}
