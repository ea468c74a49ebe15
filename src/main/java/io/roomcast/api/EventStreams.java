package io.roomcast.api;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.function.Consumer;

/**
 * Server-Sent Events answers (captions, messages, room events): the stream's headers and opening
 * comment, then what is published on an event-bus address, with a keep-alive, until the client goes.
 */
final class EventStreams {
    private EventStreams() {
    }

    /** Starts the event stream; {@code comment} is its first line, for a person reading it. */
    static HttpServerResponse open(RoutingContext ctx, String comment) {
        HttpServerResponse response = ctx.response().setChunked(true).putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache").putHeader("X-Accel-Buffering", "no");
        response.write(": " + comment + "\n\n");
        return response;
    }

    /** Hands every message on {@code address} to {@code onEvent} (which writes it) until the response closes. */
    static void follow(Vertx vertx, HttpServerResponse response, String address, Consumer<JsonObject> onEvent) {
        var consumer = vertx.eventBus().<JsonObject>consumer(address, msg -> onEvent.accept(msg.body()));
        long keepAlive = vertx.setPeriodic(15_000, t -> response.write(": keep-alive\n\n"));
        response.closeHandler(v -> {
            consumer.unregister();
            vertx.cancelTimer(keepAlive);
        });
    }
}
