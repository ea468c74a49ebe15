package io.roomcast.api;

import io.roomcast.support.Api;
import io.roomcast.support.NodeExtension;
import io.roomcast.support.Tracks;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad requests get a specific 4xx and a JSON error body; none of them reaches a 5xx. */
class ValidationTest {
    @RegisterExtension
    static final NodeExtension NODE = NodeExtension.withConfig(o -> {
        o.put("http.maxBodyBytes", 4096);
        o.put("limits.maxTracksPerParticipant", 3);
    });
    static Api api;
    static String room;

    @BeforeAll
    static void start() throws Exception {
        room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
    }

    static JsonObject audio(long ssrc) {
        return Tracks.opus(ssrc);
    }

    static JsonObject join(JsonObject track) {
        return Tracks.join("p1", "Ada", track);
    }

    static Stream<Arguments> badRequests() {
        String big = "x".repeat(5000);
        return Stream.of(
                Arguments.of("POST", "/v2/rooms", "{not json", 400, "invalid_json"),
                Arguments.of("POST", "/v2/rooms", "[1,2]", 400, "invalid_json"),
                Arguments.of("POST", "/v2/rooms", "\"text\"", 400, "invalid_json"),
                Arguments.of("POST", "/v2/rooms", "{\"customRoomId\": 5}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms", "{\"customRoomId\": \"" + "y".repeat(300) + "\"}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms", "{\"webhook\": \"http://x\"}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms", "{\"webhook\": {}}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms", "{\"webhook\": {\"url\": \"ftp://example.com/x\"}}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms", "{\"webhook\": {\"url\": \"not a url\"}}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms", "{\"webhook\": {\"url\": \"http://example.com\", \"events\": [\"nope\"]}}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms", "{\"customRoomId\": \"" + big + "\"}", 413, "payload_too_large"),
                Arguments.of("GET", "/v2/rooms?page=0", null, 400, "invalid_request"),
                Arguments.of("GET", "/v2/rooms?page=abc", null, 400, "invalid_request"),
                Arguments.of("GET", "/v2/rooms?perPage=100000", null, 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms", "{\"webhook\": {\"endPoint\": \"ftp://example.com/x\"}}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms", "{\"webhook\": {\"endPoint\": \"http://example.com\", \"events\": [\"meeting-*\"]}}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms", "{\"autoStartConfig\": {\"recording\": {\"preset\": \"nope\"}}}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms", "{\"autoStartConfig\": {\"hls\": {\"config\": {\"layout\": 3}}}}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms", "{\"autoStartConfig\": {\"composite\": {}}}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms", "{\"autoStartConfig\": {\"recording\": true}}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms", "{\"autoCloseConfig\": {\"type\": \"close-forever\"}}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms", "{\"autoCloseConfig\": {\"duration\": 0}}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms", "{\"autoCloseConfig\": {\"afterInactiveSeconds\": 60}}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/recordings/participant/start", "{}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/recordings/participant/start", "{\"roomId\": \"ROOM\"}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/recordings/participant/start", "{\"roomId\": \"ROOM\", \"participantId\": \"ann\", \"fileFormat\": \"mkv\"}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/recordings/participant/start", "{\"roomId\": \"ROOM\", \"participantId\": \"ann\", \"fileFormat\": \"webm\", \"preset\": \"grid-720p\"}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/recordings/participant/start", "{\"roomId\": \"ROOM\", \"participantId\": \"ann\"}", 409, "no_session"),
                Arguments.of("POST", "/v2/recordings/participant/stop", "{\"roomId\": \"ROOM\", \"participantId\": \"ann\"}", 409, "not_recording"),
                Arguments.of("POST", "/v2/recordings/participant/track/start", "{\"roomId\": \"ROOM\", \"participantId\": \"ann\"}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/recordings/participant/track/start", "{\"roomId\": \"ROOM\", \"participantId\": \"ann\", \"kind\": \"screen_audio\"}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/recordings/participant/track/start", "{\"roomId\": \"ROOM\", \"participantId\": \"ann\", \"kind\": \"video\", \"fileFormat\": \"mp4\"}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/recordings/participant/track/start", "{\"roomId\": \"ROOM\", \"participantId\": \"ann\", \"kind\": \"video\"}", 409, "no_session"),
                Arguments.of("POST", "/v2/recordings/participant/track/stop", "{\"roomId\": \"ROOM\", \"participantId\": \"ann\", \"kind\": \"video\"}", 409, "not_recording"),
                Arguments.of("GET", "/v2/recordings/participant?participantId=..%2Fx", null, 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms/deactivate", "{}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms/deactivate", "{\"roomId\": \"nosuchroom\"}", 404, "not_found"),
                Arguments.of("GET", "/v2/rooms/validate/nosuchroom", null, 404, "not_found"),
                Arguments.of("GET", "/v2/rooms/validate/..%2Fx", null, 400, "invalid_request"),
                Arguments.of("GET", "/v2/sessions/nosuchsession/participants", null, 404, "not_found"),
                Arguments.of("GET", "/v2/hls/nosuchroom/active", null, 404, "not_found"),
                Arguments.of("GET", "/v2/hls/nosuchstream", null, 404, "not_found"),
                Arguments.of("GET", "/v2/livestreams/nosuchstream", null, 404, "not_found"),
                Arguments.of("DELETE", "/v2/recordings/nosuchrecording", null, 404, "not_found"),
                Arguments.of("POST", "/v2/recordings/start", "{\"roomId\": \"ROOM\", \"templateUrl\": \"https://example.com/t\"}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/recordings/start", "{\"roomId\": \"ROOM\", \"preSignedUrl\": \"ftp://example.com/f.mp4\"}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/hls/start", "{\"roomId\": \"ROOM\", \"config\": {\"templateUrl\": \"https://example.com/t\"}}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/recordings/start", "{\"roomId\": \"ROOM\", \"transcription\": {\"enabled\": true, \"summary\": {\"enabled\": true}}}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/transcription/start", "{\"roomId\": \"ROOM\", \"summary\": {\"enabled\": true}}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms", "{\"autoStartConfig\": {\"recording\": {\"templateUrl\": \"https://example.com/t\"}}}", 400, "invalid_request"),
                Arguments.of("GET", "/v2/rooms/nosuchroom", null, 404, "not_found"),
                Arguments.of("GET", "/v2/rooms/..%2F..%2Fetc", null, 400, "invalid_request"),
                Arguments.of("GET", "/v2/sessions/nosuchsession", null, 404, "not_found"),
                Arguments.of("GET", "/v2/sessions?roomId=nosuchroom", null, 404, "not_found"),
                Arguments.of("POST", "/v2/sessions/end", "{}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/sessions/end", "{\"roomId\": 12}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/sessions/end", "{\"roomId\": \"nosuchroom\"}", 404, "not_found"),
                Arguments.of("POST", "/v2/rooms/nosuchroom/participants", join(audio(1)).encode(), 404, "not_found"),
                Arguments.of("POST", "/v2/rooms/ROOM/participants", "{}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms/ROOM/participants", join(audio(1)).put("participantId", "../x").encode(), 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms/ROOM/participants", join(audio(1)).put("name", 7).encode(), 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms/ROOM/participants", join(audio(1)).put("tracks", "none").encode(), 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms/ROOM/participants", join(audio(1)).put("tracks", new JsonArray().add(1)).encode(), 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms/ROOM/participants", join(audio(1).put("kind", "smell")).encode(), 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms/ROOM/participants", join(audio(1).put("codec", "vp8")).encode(), 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms/ROOM/participants", join(audio(1).put("codec", "mp3")).encode(), 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms/ROOM/participants", join(audio(1).put("source", "screen")).encode(), 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms/ROOM/participants", join(audio(1).put("ssrc", -1)).encode(), 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms/ROOM/participants", join(audio(1).put("ssrc", 4294967296L)).encode(), 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms/ROOM/participants", join(audio(1).put("ssrc", "12")).encode(), 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms/ROOM/participants", join(audio(1).put("ssrc", 1.5)).encode(), 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms/ROOM/participants", join(audio(1).put("payloadType", 200)).encode(), 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms/ROOM/participants", join(audio(1).put("clockRate", 1)).encode(), 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms/ROOM/participants", join(audio(1)).put("tracks", new JsonArray().add(audio(9)).add(audio(9))).encode(), 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms/ROOM/participants", join(audio(1)).put("tracks", new JsonArray().add(audio(1)).add(audio(2)).add(audio(3)).add(audio(4))).encode(), 413, "too_many_tracks"),
                Arguments.of("DELETE", "/v2/rooms/ROOM/participants/nobody", null, 404, "not_found"),
                Arguments.of("DELETE", "/v2/rooms/ROOM/participants/bad$id", null, 400, "invalid_request"),
                Arguments.of("GET", "/v2/no/such/endpoint", null, 404, "not_found"),
                Arguments.of("PUT", "/v2/rooms", "{}", 405, "method_not_allowed"),
                Arguments.of("POST", "/v2/recordings/start", "{}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/recordings/start", "{\"roomId\": \"nosuchroom\"}", 404, "not_found"),
                Arguments.of("POST", "/v2/recordings/start", "{\"roomId\": \"ROOM\"}", 409, "no_session"),
                Arguments.of("POST", "/v2/recordings/start", "{\"roomId\": \"ROOM\", \"preset\": \"nope\"}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/recordings/start", "{\"roomId\": \"ROOM\", \"config\": {\"quality\": \"ultra\"}}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/recordings/start", "{\"roomId\": \"ROOM\", \"config\": {\"layout\": {\"type\": \"MOSAIC\"}}}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/recordings/start", "{\"roomId\": \"ROOM\", \"config\": {\"layout\": \"GRID\"}}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/recordings/start", "{\"roomId\": \"ROOM\", \"awsDirPath\": \"../etc\"}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/recordings/start", "{\"roomId\": \"ROOM\", \"transcription\": {\"enabled\": \"yes\"}}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/recordings/end", "{\"roomId\": \"ROOM\"}", 409, "not_recording"),
                Arguments.of("GET", "/v2/recordings/nosuchrecording", null, 404, "not_found"),
                Arguments.of("POST", "/v2/livestreams/start", "{\"roomId\": \"ROOM\"}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/livestreams/start", "{\"roomId\": \"ROOM\", \"outputs\": []}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/livestreams/start", "{\"roomId\": \"ROOM\", \"outputs\": [{\"url\": \"http://example.com/live\"}]}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/livestreams/start", "{\"roomId\": \"ROOM\", \"outputs\": [{\"url\": \"file:///etc/passwd\"}]}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/livestreams/start", "{\"roomId\": \"ROOM\", \"outputs\": [{\"url\": \"rtmp://example.com/live\", \"streamKey\": \"a b\"}]}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/hls/end", "{\"roomId\": \"ROOM\"}", 409, "not_streaming"),
                Arguments.of("GET", "/v2/hls/nosuchstream/live.m3u8", null, 404, "not_found"),
                Arguments.of("POST", "/v2/rooms/ROOM/layout", "{\"type\": \"MOSAIC\"}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/rooms/ROOM/layout", "{\"pin\": \"../x\"}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/transcriptions", "{}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/transcriptions", "{\"recordingId\": \"nosuchrecording\"}", 404, "not_found"),
                Arguments.of("POST", "/v2/transcriptions", "{\"recordingId\": 7}", 400, "invalid_request"),
                Arguments.of("POST", "/v2/transcriptions", "{\"roomId\": \"ROOM\", \"sessionId\": \"nosuchsession\"}", 409, "no_recording"),
                Arguments.of("GET", "/v2/transcriptions/nosuchjob", null, 404, "not_found"),
                Arguments.of("GET", "/v2/transcriptions/nosuchjob/download?format=pdf", null, 400, "invalid_request"),
                Arguments.of("GET", "/v2/transcriptions/nosuchjob/download?format=srt", null, 404, "not_found"));
    }

    @ParameterizedTest(name = "{0} {1} -> {3} {4}")
    @MethodSource("badRequests")
    void badRequestGetsSpecificJsonError(String method, String path, String body, int status, String code) {
        Api.Response r = api.send(method, path.replace("ROOM", room), body == null ? null : body.replace("ROOM", room), body == null ? null : "application/json");
        assertEquals(status, r.status(), r.body());
        assertTrue(r.raw().headers().firstValue("Content-Type").orElse("").startsWith("application/json"), "JSON error");
        JsonObject error = r.json().getJsonObject("error");
        assertNotNull(error, r.body());
        assertEquals(code, error.getString("code"), r.body());
        assertFalse(error.getString("message").isBlank());
        assertFalse(r.body().contains("Exception"), "no stack traces or exception names reach clients: " + r.body());
    }

    @Test
    void ssrcTakenByAnotherParticipantIsAConflict() {
        String other = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
        assertEquals(200, api.post("/v2/rooms/" + other + "/participants", join(audio(777))).status());
        Api.Response clash = api.post("/v2/rooms/" + room + "/participants",
                join(audio(777)).put("participantId", "someone-else"));
        assertEquals(409, clash.status(), clash.body());
        assertEquals("ssrc_in_use", clash.errorCode());
    }

    @Test
    void pagesAreBoundedAndConsistent() {
        for (int i = 0; i < 5; i++) api.post("/v2/rooms", new JsonObject().put("customRoomId", "page-" + i));
        JsonObject first = api.get("/v2/rooms?page=1&perPage=2").json();
        JsonObject info = first.getJsonObject("pageInfo");
        assertEquals(2, first.getJsonArray("data").size());
        assertEquals(2, info.getInteger("perPage"));
        int total = info.getInteger("total");
        assertTrue(total >= 6);
        assertEquals((total + 1) / 2, info.getInteger("lastPage"));
        JsonObject beyond = api.get("/v2/rooms?page=" + (info.getInteger("lastPage") + 1) + "&perPage=2").json();
        assertEquals(0, beyond.getJsonArray("data").size());
        // Pages do not overlap.
        String a = first.getJsonArray("data").getJsonObject(1).getString("roomId");
        String b = api.get("/v2/rooms?page=2&perPage=2").json().getJsonArray("data").getJsonObject(0).getString("roomId");
        assertFalse(a.equals(b));
    }
}
