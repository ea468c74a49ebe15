package io.roomcast.errors;

/**
 * A request the service turns down, said in domain words: what kind of refusal, a stable
 * machine-readable code and a message for the user. The stages throw it; only {@code api/} decides
 * which HTTP status each {@link Kind} becomes.
 */
public final class Refusal extends RuntimeException {
    /** Why a request is turned down. */
    public enum Kind {
        /** The request itself is wrong (a field missing, out of range, unknown). */
        INVALID,
        /** What it names does not exist. */
        NOT_FOUND,
        /** It does not fit the current state (already running, nothing running, not finished). */
        CONFLICT,
        /** A configured bound would be exceeded (rooms, participants, outputs). */
        LIMIT,
        /** Not ready in time; the caller may ask again (a blocking playlist reload that timed out). */
        UNAVAILABLE,
        /** Roomcast itself failed (a local folder, a model); logged, not the caller's fault. */
        INTERNAL
    }

    private final Kind kind;
    private final String code;

    public Refusal(Kind kind, String code, String message) {
        super(message, null, false, false);
        this.kind = kind;
        this.code = code;
    }

    public static Refusal invalid(String message) {
        return new Refusal(Kind.INVALID, "invalid_request", message);
    }

    public static Refusal invalid(String code, String message) {
        return new Refusal(Kind.INVALID, code, message);
    }

    public static Refusal notFound(String what, String id) {
        return new Refusal(Kind.NOT_FOUND, "not_found", what + " '" + id + "' does not exist");
    }

    public static Refusal conflict(String code, String message) {
        return new Refusal(Kind.CONFLICT, code, message);
    }

    public static Refusal limit(String code, String message) {
        return new Refusal(Kind.LIMIT, code, message);
    }

    public static Refusal unavailable(String code, String message) {
        return new Refusal(Kind.UNAVAILABLE, code, message);
    }

    public static Refusal internal(String code, String message) {
        return new Refusal(Kind.INTERNAL, code, message);
    }

    public Kind kind() {
        return kind;
    }

    public String code() {
        return code;
    }

    /** The same refusal with its message prefixed (a field's path inside a nested object). */
    public Refusal prefixed(String prefix) {
        return new Refusal(kind, code, prefix + getMessage());
    }
}
