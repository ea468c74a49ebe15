package io.roomcast.demo;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * The demo talks to the node through its public HTTP API only, as any client would, so that
 * {@code demo --node URL --token T} checks a deployment the same way it drives its own node.
 */
final class NodeClient {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    final String base;
    final String token;

    NodeClient(String base, String token) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.token = token;
    }

    /** A call that failed: what the node answered, as its JSON error says it. */
    static final class CallFailed extends IOException {
        CallFailed(String method, String path, int status, String body) {
            super(method + " " + path + " answered " + status + ": " + body);
        }
    }

    JsonObject get(String path) throws IOException, InterruptedException {
        return send("GET", path, null);
    }

    JsonObject post(String path, JsonObject body) throws IOException, InterruptedException {
        return send("POST", path, body);
    }

    private JsonObject send(String method, String path, JsonObject body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token);
        if (body != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body.encode()));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) throw new CallFailed(method, path, r.statusCode(), r.body());
        try {
            return r.body().isBlank() ? new JsonObject() : new JsonObject(r.body());
        } catch (DecodeException e) {
            throw new IOException(method + " " + path + " answered something that is not JSON: " + r.body(), e);
        }
    }

    /**
     * Follows a Server-Sent Events stream on its own daemon thread, handing each event's data to
     * {@code onData} until the node ends the stream (the thread never keeps the JVM up). The captions
     * flushed when the demo ends its outputs still arrive this way.
     */
    void follow(String path, Consumer<JsonObject> onData) {
        Thread t = new Thread(() -> {
            HttpRequest req = HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + token)
                    .header("Accept", "text/event-stream").GET().build();
            try {
                HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
                try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        if (line.startsWith("data:")) onData.accept(new JsonObject(line.substring(5).trim()));
                    }
                }
            } catch (IOException | DecodeException e) {
                // the stream ended with the node or the session
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "roomcast-demo-follow");
        t.setDaemon(true);
        t.start();
    }
}
