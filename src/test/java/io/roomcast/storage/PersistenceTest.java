package io.roomcast.storage;

import io.roomcast.Roomcast;
import io.roomcast.support.Api;
import io.roomcast.support.TestNode;
import io.roomcast.support.Tokens;
import io.roomcast.support.Tracks;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a node knew is in the object store, readable by any S3 client, and known again after a restart. */
class PersistenceTest {
    @TempDir
    Path data;

    static JsonObject participant(String id, long ssrc) {
        return Tracks.join(id, id, Tracks.opus(ssrc));
    }

    @Test
    void restartKeepsRoomsSessionsAndOngoingParticipants() throws Exception {
        Map<String, Object> config = TestNode.defaults(data);
        config.put("sessions.graceSeconds", 60);
        String roomA;
        String roomB;
        String endedSession;
        String ongoingSession;
        try (Roomcast first = TestNode.start(config)) {
            Api api = new Api(first.httpPort(), Tokens.admin());
            roomA = api.post("/v2/rooms", new JsonObject().put("customRoomId", "weekly")
                    .put("webhook", new JsonObject().put("url", "http://127.0.0.1:9/hook"))).json().getString("roomId");
            roomB = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
            endedSession = api.post("/v2/rooms/" + roomA + "/participants", participant("x", 81)).json().getString("sessionId");
            api.post("/v2/sessions/end", new JsonObject().put("roomId", roomA));
            ongoingSession = api.post("/v2/rooms/" + roomB + "/participants", participant("y", 82)).json().getString("sessionId");
        }

        try (Roomcast second = TestNode.start(config)) {
            Api api = new Api(second.httpPort(), Tokens.admin());
            JsonArray rooms = api.get("/v2/rooms").json().getJsonArray("data");
            assertEquals(2, rooms.size());
            JsonObject a = api.get("/v2/rooms/" + roomA).json();
            assertEquals("weekly", a.getString("customRoomId"));
            assertEquals("http://127.0.0.1:9/hook", a.getJsonObject("webhook").getString("url"));
            assertEquals("ended", api.get("/v2/sessions/" + endedSession).json().getString("status"));
            JsonObject ongoing = api.get("/v2/sessions/" + ongoingSession).json();
            assertEquals("ongoing", ongoing.getString("status"));
            assertEquals("joined", ongoing.getJsonArray("participants").getJsonObject(0).getString("status"));
            assertEquals("y", second.rooms().bySsrc(82).participantId(), "ongoing tracks are bound again for ingest");
            // The ongoing session carries on: y leaves, z joins the same session.
            assertEquals(200, api.delete("/v2/rooms/" + roomB + "/participants/y").status());
            assertEquals(ongoingSession, api.post("/v2/rooms/" + roomB + "/participants", participant("z", 83))
                    .json().getString("sessionId"));
        }
    }

    @Test
    void anOutsideS3ClientSeesTheManifestsWithTheConfiguredKeys() throws Exception {
        try (Roomcast node = TestNode.start(TestNode.defaults(data))) {
            Api api = new Api(node.httpPort(), Tokens.admin());
            String room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
            try (S3Client s3 = S3Client.builder()
                    .endpointOverride(node.s3Endpoint())
                    .region(Region.US_EAST_1)
                    .forcePathStyle(true)
                    .httpClient(UrlConnectionHttpClient.create())
                    .credentialsProvider(StaticCredentialsProvider.create(
                            AwsBasicCredentials.create("roomcast-dev", "roomcast-dev-secret-key")))
                    .build()) {
                List<String> keys = s3.listObjectsV2(b -> b.bucket("roomcast")).contents().stream().map(S3Object::key).toList();
                assertTrue(keys.contains("meta/rooms/" + room + ".json"), keys.toString());
                String body = s3.getObjectAsBytes(b -> b.bucket("roomcast").key("meta/rooms/" + room + ".json")).asUtf8String();
                assertEquals(room, new JsonObject(body).getString("roomId"));
            }
            // Wrong keys are refused by the store.
            try (S3Client wrong = S3Client.builder().endpointOverride(node.s3Endpoint()).region(Region.US_EAST_1)
                    .forcePathStyle(true).httpClient(UrlConnectionHttpClient.create())
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("roomcast-dev", "wrong-secret")))
                    .build()) {
                assertThrows(Exception.class, () -> wrong.listObjectsV2(b -> b.bucket("roomcast")));
            }
            // A presigned URL downloads with no credentials at all.
            String url = node.store().presignGet("meta/rooms/" + room + ".json");
            try (InputStream in = URI.create(url).toURL().openStream()) {
                assertEquals(room, new JsonObject(new String(in.readAllBytes())).getString("roomId"));
            }
            URL unsigned = URI.create(node.s3Endpoint() + "/roomcast/meta/rooms/" + room + ".json").toURL();
            assertThrows(IOException.class, () -> unsigned.openStream().close(), "anonymous reads are refused");
        }
    }
}
