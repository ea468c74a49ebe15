package io.roomcast.support;

import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A Server-Sent Events client for caption and message streams, reading in the background. */
public final class Sse {
    private Sse() {
    }

    /** Opens {@code /v2/rooms/{room}/captions} on {@code port}; each event's JSON lands in the list. */
    public static List<JsonObject> captions(int port, String room, String token) throws Exception {
        return open(port, "/v2/rooms/" + room + "/captions?token=" + token);
    }

    /** Opens an event stream at {@code pathAndQuery} (with its {@code ?token=}); each event's JSON lands in the list. */
    public static List<JsonObject> open(int port, String pathAndQuery) throws Exception {
        List<JsonObject> out = new CopyOnWriteArrayList<>();
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
                .header("Accept", "text/event-stream").build();
        HttpResponse<InputStream> resp = HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofInputStream());
        if (resp.statusCode() != 200) throw new AssertionError(pathAndQuery + " stream answered " + resp.statusCode());
        if (!resp.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream")) {
            throw new AssertionError("not an event stream: " + resp.headers());
        }
        Thread t = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(resp.body(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.startsWith("data: ")) out.add(new JsonObject(line.substring(6)));
                }
            } catch (Exception e) {
                // closed at the end of the test
            }
        });
        t.setDaemon(true);
        t.start();
        return out;
    }
}
