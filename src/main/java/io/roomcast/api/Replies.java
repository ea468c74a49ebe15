package io.roomcast.api;

import io.roomcast.errors.Refusal;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Writing answers, and the one place where a refusal becomes an HTTP status: the stages' domain
 * {@link Refusal}s by kind, the API's own {@link ApiException}s as they say, anything else a logged 500.
 */
final class Replies {
    private static final Logger LOG = Logger.getLogger(Replies.class.getName());

    private Replies() {
    }

    /** A handler whose future's JSON is the 200 answer; a failure goes to {@link #failure}. */
    static Handler<RoutingContext> api(Function<RoutingContext, Future<JsonObject>> fn) {
        return ctx -> {
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
        };
    }

    static void json(RoutingContext ctx, int status, JsonObject body) {
        ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(body.toBuffer());
    }

    static void error(RoutingContext ctx, int status, String code, String message) {
        if (ctx.response().ended()) return;
        json(ctx, status, ApiException.body(code, message));
    }

    /** A page moved (a folder's address without its slash). */
    static void redirect(RoutingContext ctx, String location) {
        ctx.response().setStatusCode(301).putHeader(HttpHeaders.LOCATION, location).end();
    }

    static void notFound(RoutingContext ctx, String message) {
        error(ctx, 404, "not_found", message);
    }

    /** The store (or another dependency) did not answer: a 503 the client may retry. */
    static void unavailable(RoutingContext ctx, String code, String message) {
        error(ctx, 503, code, message);
    }

    static int status(Refusal.Kind kind) {
        return switch (kind) {
            case INVALID -> 400;
            case NOT_FOUND -> 404;
            case CONFLICT -> 409;
            case LIMIT -> 429;
            case UNAVAILABLE -> 503;
            case INTERNAL -> 500;
        };
    }

    /** A nested field's refusal, whichever kind, with the field's path in front of its message. */
    static RuntimeException prefixed(RuntimeException e, String prefix) {
        if (e instanceof ApiException a) return new ApiException(a.status(), a.code(), prefix + a.getMessage());
        if (e instanceof Refusal r) return r.prefixed(prefix);
        return e;
    }

    /** The router's failure handler. */
    static Handler<RoutingContext> failure(long maxBodyBytes) {
        return ctx -> {
            Throwable t = ctx.failure();
            if (t instanceof ApiException e) {
                if (e.status() == 401) ctx.response().putHeader("WWW-Authenticate", "Bearer");
                error(ctx, e.status(), e.code(), e.getMessage());
                return;
            }
            if (t instanceof Refusal r) {
                if (r.kind() == Refusal.Kind.INTERNAL) LOG.log(Level.WARNING, "refused on " + ctx.request().path(), r);
                error(ctx, status(r.kind()), r.code(), r.getMessage());
                return;
            }
            int status = ctx.statusCode();
            switch (status) {
                case 413 -> error(ctx, 413, "payload_too_large", "the request body is larger than " + maxBodyBytes + " bytes");
                case 400 -> error(ctx, 400, "invalid_request", "the request could not be read");
                case 404 -> error(ctx, 404, "not_found", "not found");
                default -> {
                    LOG.log(Level.SEVERE, "internal error on " + ctx.request().method() + " " + ctx.request().path(), t);
                    error(ctx, status >= 500 ? status : 500, "internal_error",
                            "the server failed to handle this request; it has been logged");
                }
            }
        };
    }
}
