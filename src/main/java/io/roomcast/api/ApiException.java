package io.roomcast.api;

import io.vertx.core.json.JsonObject;

/** A refusal the client should see: an HTTP status, a stable machine-readable code and a message. */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String code;

    public ApiException(int status, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
    }

    public static ApiException badRequest(String message) {
        return new ApiException(400, "invalid_request", message);
    }

    public static ApiException notFound(String what, String id) {
        return new ApiException(404, "not_found", what + " '" + id + "' does not exist");
    }

    public static ApiException conflict(String code, String message) {
        return new ApiException(409, code, message);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public JsonObject body() {
        return body(code, getMessage());
    }

    public static JsonObject body(String code, String message) {
        return new JsonObject().put("error", new JsonObject().put("code", code).put("message", message));
    }
}
