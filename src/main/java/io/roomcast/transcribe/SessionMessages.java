package io.roomcast.transcribe;

import io.vertx.core.json.JsonObject;

import java.util.List;

/** The persisted messages (chat, Q&A, polls) of a session, as the API gives them; read on a job thread. */
public interface SessionMessages {
    List<JsonObject> messages(String roomId, String sessionId) throws Exception;
}
