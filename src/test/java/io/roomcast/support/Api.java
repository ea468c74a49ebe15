package io.roomcast.support;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A blocking HTTP client for tests, speaking to a node over a real socket. */
public final class Api {
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public record Response(int status, String body, HttpResponse<String> raw) {
        public JsonObject json() {
            return new JsonObject(body);
        }

        public String errorCode() {
            return json().getJsonObject("error").getString("code");
        }
    }

    private final String base;
    private final String token;
    private final boolean bare;

    public Api(int port, String token) {
        this("http://127.0.0.1:" + port, token);
    }

    public Api(String base, String token) {
        this(base, token, false);
    }

    private Api(String base, String token, boolean bare) {
        this.base = base;
        this.token = token;
        this.bare = bare;
    }

    public Api as(String otherToken) {
        return new Api(base, otherToken, bare);
    }

    /** The same client sending its token as VideoSDK's clients do: the bare JWT, without "Bearer ". */
    public Api bareToken() {
        return new Api(base, token, true);
    }

    public Response get(String path) {
        return send("GET", path, null, null);
    }

    public Response post(String path, Object body) {
        return send("POST", path, body == null ? null : body.toString(), "application/json");
    }

    /** The sum of a metric's samples (every label set) in a Prometheus text page such as /metrics. */
    public static double metric(String prometheus, String name) {
        return prometheus.lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /** The stats entry of a participant's track of this kind (audio or video). */
    public JsonObject trackStats(String roomId, String participantId, String kind) {
        Response r = get("/v2/rooms/" + roomId + "/participants/" + participantId + "/stats");
        if (r.status() != 200) throw new AssertionError("stats: " + r.status() + " " + r.body());
        for (Object o : r.json().getJsonArray("tracks")) {
            if (((JsonObject) o).getString("kind").equals(kind)) return (JsonObject) o;
        }
        throw new AssertionError("no " + kind + " track in " + r.body());
    }

    /** Polls {@code path} until its {@code field} is {@code value}; the last answer, or an AssertionError. */
    public JsonObject waitFor(String path, String field, String value, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        JsonObject last = null;
        while (System.currentTimeMillis() < deadline) {
            last = get(path).json();
            if (value.equals(last.getString(field))) return last;
            Thread.sleep(100);
        }
        throw new AssertionError(path + " never had " + field + "=" + value + ": " + last);
    }

    /** The final live captions of one participant of the room so far, joined by spaces. */
    public String finalCaptions(String roomId, String participantId) {
        StringBuilder sb = new StringBuilder();
        for (Object o : get("/v2/rooms/" + roomId + "/captions").json().getJsonArray("data")) {
            JsonObject c = (JsonObject) o;
            if ("final".equals(c.getString("type")) && participantId.equals(c.getString("participantId"))) {
                sb.append(c.getString("text")).append(' ');
            }
        }
        return sb.toString().trim();
    }

    /** Creates a room (the body may be empty); its roomId. */
    public String createRoom(JsonObject body) {
        Response r = post("/v2/rooms", body);
        if (r.status() != 200) throw new AssertionError("create room: " + r.status() + " " + r.body());
        return r.json().getString("roomId");
    }

    public String createRoom() {
        return createRoom(new JsonObject());
    }

    /** Joins a participant with these tracks ({@link Tracks}); the session id. */
    public String join(String roomId, String participantId, String name, JsonObject... tracks) {
        Response r = post("/v2/rooms/" + roomId + "/participants", Tracks.join(participantId, name, tracks));
        if (r.status() != 200) throw new AssertionError("join " + participantId + ": " + r.status() + " " + r.body());
        return r.json().getString("sessionId");
    }

    public Response delete(String path) {
        return send("DELETE", path, null, null);
    }

    /** A GET whose answer is not JSON (a picture): the raw bytes with status and headers. */
    public HttpResponse<byte[]> getBytes(String path) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20)).GET();
        if (token != null) b.header("Authorization", bare ? token : "Bearer " + token);
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    public Response send(String method, String path, String body, String contentType) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) b.header("Authorization", bare ? token : "Bearer " + token);
        if (contentType != null) b.header("Content-Type", contentType);
        try {
            HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body(), r);
        } catch (IOException e) {
            throw new IllegalStateException(method + " " + path + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
