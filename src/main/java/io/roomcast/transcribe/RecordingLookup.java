package io.roomcast.transcribe;

import io.vertx.core.json.JsonObject;

import java.util.List;

/** Where post-call transcription finds recordings (their API shape): by id, or those of a session. */
public interface RecordingLookup {
    /** The recording, or a not-found refusal. */
    JsonObject recording(String id);

    /** The recordings of a session, newest first. */
    List<JsonObject> recordings(String roomId, String sessionId);
}
