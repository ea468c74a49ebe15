package io.roomcast.compat;

import io.roomcast.Roomcast;
import io.roomcast.support.Api;
import io.roomcast.support.Media;
import io.roomcast.support.NodeExtension;
import io.roomcast.support.Participants;
import io.roomcast.support.RtpSender;
import io.roomcast.support.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A client written from VideoSDK's REST reference alone: the bare token in Authorization, rooms
 * with {@code customRoomId} and {@code webhook: {endPoint, events}}, sessions read by {@code id},
 * their participants, deactivation, and webhook handlers that read VideoSDK's field names. The
 * participants themselves join through Roomcast's SFU-facing API, as VideoSDK's SDKs have no part here.
 */
class VideoSdkClientTest {
    @RegisterExtension
    final NodeExtension fresh = NodeExtension.withConfig(o -> o.put("sessions.graceSeconds", 0));
    Roomcast node;
    Api api;
    @TempDir
    Path downloads;
    WebhookReceiver hooks;
    PutReceiver bucket;

    @BeforeEach
    void receiver() throws Exception {
        hooks = new WebhookReceiver();
        bucket = new PutReceiver();
    }

    @AfterEach
    void closeReceiver() {
        hooks.close();
        bucket.close();
    }

    /** The user's own bucket behind a presigned URL: takes one PUT and keeps its bytes. */
    static final class PutReceiver implements AutoCloseable {
        final HttpServer server;
        volatile byte[] body;
        volatile String contentType;

        PutReceiver() throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/upload", exchange -> {
                boolean put = exchange.getRequestMethod().equals("PUT");
                if (put) {
                    try (InputStream in = exchange.getRequestBody()) {
                        body = in.readAllBytes();
                    }
                    contentType = exchange.getRequestHeaders().getFirst("Content-Type");
                }
                exchange.sendResponseHeaders(put ? 200 : 405, -1);
                exchange.close();
            });
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/upload?X-Amz-Signature=abc";
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    @Test
    void aVideoSdkClientDrivesARoomWithItsOwnFieldNames() throws Exception {
        Api videosdk = api.bareToken();
        JsonObject create = new JsonObject().put("customRoomId", "standup-42")
                .put("webhook", new JsonObject().put("endPoint", hooks.url())
                        .put("events", new JsonArray().add("participant-*").add("session-*").add("recording-stopped").add("hls-*")))
                .put("autoStartConfig", new JsonObject()
                        .put("recording", new JsonObject().put("config", new JsonObject().put("quality", "low"))
                                .put("preSignedUrl", bucket.url()))
                        .put("hls", new JsonObject().put("config", new JsonObject().put("quality", "low"))));
        Api.Response created = videosdk.post("/v2/rooms", create);
        assertEquals(200, created.status(), created.body());
        JsonObject room = created.json();
        String roomId = room.getString("roomId");
        assertEquals(roomId, room.getString("id"));
        assertEquals(false, room.getBoolean("disabled"));
        assertEquals(hooks.url(), room.getJsonObject("webhook").getString("endPoint"));
        // customRoomId: creating again gives the same room, and it names the room in paths.
        assertEquals(roomId, videosdk.post("/v2/rooms", create).json().getString("roomId"));
        assertEquals(roomId, videosdk.get("/v2/rooms/validate/standup-42").json().getString("roomId"));
        assertEquals(roomId, videosdk.get("/v2/rooms/" + roomId).json().getString("roomId"));
        assertEquals(404, videosdk.get("/v2/rooms/validate/no-such-room").status());

        Participants.join(api, roomId, "ann", 71, 72, "vp8");
        JsonObject session = videosdk.get("/v2/sessions?roomId=" + roomId).json().getJsonArray("data").getJsonObject(0);
        String sessionId = session.getString("id");
        assertEquals(session.getString("sessionId"), sessionId);
        JsonArray people = videosdk.get("/v2/sessions/" + sessionId + "/participants").json().getJsonArray("data");
        assertEquals("ann", people.getJsonObject(0).getString("participantId"));
        assertEquals(1, videosdk.get("/v2/sessions/" + sessionId + "/participants/active").json().getJsonArray("data").size());

        JsonObject joined = hooks.await("participant-joined", 1, 5000).get(0).json().getJsonObject("data");
        assertEquals(roomId, joined.getString("meetingId"));
        assertEquals("Ann Example", joined.getString("participantName"));
        assertEquals(sessionId, joined.getString("sessionId"));

        // autoStartConfig: the session's start started the recording and HLS; nobody called start.
        try (RtpSender v = RtpSender.video(node.rtpPort(), 72, 96, "vp8", 640, 360).talkingHead();
             RtpSender a = RtpSender.opus(node.rtpPort(), 71, 111)) {
            v.startTestSignal(8);
            a.startTestSignal(8);
            JsonObject hls = hooks.await("hls-playable", 1, 20_000).get(0).json().getJsonObject("data");
            assertEquals(roomId, hls.getString("meetingId"));
            JsonObject active = videosdk.get("/v2/hls/standup-42/active").json();
            assertEquals(hls.getString("id"), active.getString("id"), active.encode());
            assertTrue(active.getString("playbackHlsUrl").startsWith("http://"), active.encode());
            HttpResponse<String> playlist = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(active.getString("playbackHlsUrl"))).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, playlist.statusCode());
            assertTrue(playlist.body().startsWith("#EXTM3U"), playlist.body());
            assertEquals(roomId, videosdk.get("/v2/hls/" + hls.getString("id")).json().getString("roomId"));
            JsonObject recording = videosdk.get("/v2/recordings?roomId=standup-42").json().getJsonArray("data").getJsonObject(0);
            assertEquals("started", recording.getString("status"), recording.encode());
            Api.Response running = videosdk.delete("/v2/recordings/" + recording.getString("id"));
            assertEquals(409, running.status(), running.body());
            assertEquals("recording_running", running.errorCode());
            Thread.sleep(1500);
            assertEquals(200, videosdk.post("/v2/recordings/end", new JsonObject().put("roomId", "standup-42")).status());
        }
        JsonObject stopped = hooks.await("recording-stopped", 1, 30_000).get(0).json().getJsonObject("data");
        assertEquals(roomId, stopped.getString("meetingId"));
        assertTrue(stopped.getString("filePath").endsWith(".mp4"), stopped.encode());
        Media.Probe probe = Media.probe(Media.download(stopped.getString("fileUrl"), downloads.resolve("rec.mp4")).toString());
        assertEquals("h264", probe.videoCodec(), probe.toString());
        // preSignedUrl: the same file was PUT to the user's own URL.
        assertEquals("uploaded", stopped.getJsonObject("file").getJsonObject("preSignedUpload").getString("status"), stopped.encode());
        assertEquals("video/mp4", bucket.contentType);
        Path theirs = downloads.resolve("theirs.mp4");
        Files.write(theirs, bucket.body);
        assertEquals(stopped.getJsonObject("file").getLong("size"), Files.size(theirs));
        assertEquals(probe.videoFrames(), Media.probe(theirs.toString()).videoFrames());

        // DELETE: the objects go, the listing keeps a tombstone; deleting again answers it.
        String recId = stopped.getString("id");
        JsonObject deleted = videosdk.delete("/v2/recordings/" + recId).json();
        assertEquals("deleted", deleted.getString("status"), deleted.encode());
        assertNotNull(deleted.getString("deletedAt"));
        HttpResponse<String> gone = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(stopped.getString("fileUrl"))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, gone.statusCode(), "the file is gone from the store");
        JsonObject listed = videosdk.get("/v2/recordings?roomId=" + roomId).json().getJsonArray("data").getJsonObject(0);
        assertEquals("deleted", listed.getString("status"));
        assertEquals(null, listed.getValue("file"));
        assertEquals("deleted", videosdk.delete("/v2/recordings/" + recId).json().getString("status"));

        // Live transcription on VideoSDK's paths.
        JsonObject live = videosdk.post("/ai/v1/realtime-transcriptions/start", new JsonObject().put("roomId", "standup-42")).json();
        assertEquals(roomId, live.getString("roomId"), live.encode());
        JsonArray running = videosdk.get("/ai/v1/realtime-transcriptions?roomId=" + roomId).json().getJsonArray("data");
        assertEquals(live.getString("id"), running.getJsonObject(0).getString("id"), running.encode());
        Api.Response ended = videosdk.post("/ai/v1/realtime-transcriptions/end", new JsonObject().put("roomId", roomId));
        assertEquals(200, ended.status(), ended.body());
        assertTrue(videosdk.get("/ai/v1/realtime-transcriptions?roomId=" + roomId).json().getJsonArray("data").isEmpty());

        // Deactivated: the room says so and takes no more joins.
        api.delete("/v2/rooms/" + roomId + "/participants/ann");
        hooks.await("session-ended", 1, 10_000);
        assertEquals(404, videosdk.get("/v2/hls/" + roomId + "/active").status(), "no HLS after the session");
        JsonObject off = videosdk.post("/v2/rooms/deactivate", new JsonObject().put("roomId", "standup-42")).json();
        assertEquals(true, off.getBoolean("disabled"));
        assertEquals(true, videosdk.get("/v2/rooms/validate/" + roomId).json().getBoolean("disabled"));
        Api.Response refused = api.post("/v2/rooms/" + roomId + "/participants", new JsonObject().put("participantId", "ben")
                .put("name", "Ben").put("tracks", new JsonArray()));
        assertEquals(409, refused.status(), refused.body());
        assertEquals("room_deactivated", refused.errorCode());

        // Only what the patterns asked for came.
        List<String> types = hooks.deliveries().stream().map(WebhookReceiver.Delivery::type).distinct().toList();
        assertTrue(types.containsAll(List.of("participant-joined", "participant-left", "session-started", "session-ended",
                "recording-stopped")), types.toString());
        assertFalse(types.stream().anyMatch(t -> t.startsWith("recording-st") && !t.equals("recording-stopped")), types.toString());
    }

    /**
     * autoCloseConfig: a session lasts at most {@code duration} seconds, and with
     * session-end-and-deactivate its end deactivates the room. A room without the rule keeps its
     * session and stays active.
     */
    @Test
    void autoCloseConfigEndsTheSessionAndDeactivatesTheRoom() throws Exception {
        Api videosdk = api.bareToken();
        JsonObject created = videosdk.post("/v2/rooms", new JsonObject()
                .put("webhook", new JsonObject().put("endPoint", hooks.url()).put("events", new JsonArray().add("session-*")))
                .put("autoCloseConfig", new JsonObject().put("type", "session-end-and-deactivate").put("duration", 3))).json();
        assertEquals("session-end-and-deactivate", created.getJsonObject("autoCloseConfig").getString("type"), created.encode());
        assertEquals(3, created.getJsonObject("autoCloseConfig").getInteger("duration"));
        String roomId = created.getString("roomId");
        String other = videosdk.post("/v2/rooms", new JsonObject()).json().getString("roomId");
        long t0 = System.nanoTime();
        Participants.join(api, roomId, "ann", 81, 0, "vp8");
        Participants.join(api, other, "ben", 83, 0, "vp8");
        hooks.await("session-ended", 1, 10_000);
        double took = (System.nanoTime() - t0) / 1e9;
        assertTrue(took > 2.5 && took < 8, "the session ended after its duration: " + took + " s");
        JsonObject room = videosdk.get("/v2/rooms/" + roomId).json();
        for (int i = 0; i < 50 && !room.getBoolean("disabled"); i++) {
            Thread.sleep(100);
            room = videosdk.get("/v2/rooms/" + roomId).json();
        }
        assertEquals(true, room.getBoolean("disabled"), room.encode());
        Api.Response refused = api.post("/v2/rooms/" + roomId + "/participants", new JsonObject().put("participantId", "ann")
                .put("name", "Ann").put("tracks", new JsonArray()));
        assertEquals(409, refused.status(), refused.body());
        JsonObject untouched = videosdk.get("/v2/sessions?roomId=" + other).json().getJsonArray("data").getJsonObject(0);
        assertEquals("ongoing", untouched.getString("status"), "a room without the rule keeps its session");
        assertEquals(false, videosdk.get("/v2/rooms/" + other).json().getBoolean("disabled"));
    }

    @Test
    void aPatternThatMatchesNoEventIsRefused() {
        Api.Response r = api.bareToken().post("/v2/rooms", new JsonObject()
                .put("webhook", new JsonObject().put("endPoint", hooks.url()).put("events", new JsonArray().add("meeting-*"))));
        assertEquals(400, r.status(), r.body());
        assertNotNull(r.errorCode());
    }
}
