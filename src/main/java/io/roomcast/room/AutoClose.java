package io.roomcast.room;

import io.vertx.core.json.JsonObject;

/**
 * A room's {@code autoCloseConfig} (VideoSDK's field): its sessions end after {@code durationSeconds}
 * at most, and with {@link Type#SESSION_END_AND_DEACTIVATE} the room is deactivated once a session
 * of it ends, however it ended.
 */
public record AutoClose(Type type, int durationSeconds) {
    public enum Type {
        SESSION_ENDS("session-ends"), SESSION_END_AND_DEACTIVATE("session-end-and-deactivate");

        private final String wire;

        Type(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }

        /** The type a request names ({@code session-end} taken for {@code session-ends}), or null. */
        public static Type of(String wire) {
            if ("session-end".equals(wire)) return SESSION_ENDS;
            for (Type t : values()) if (t.wire.equals(wire)) return t;
            return null;
        }
    }

    /** No limit on the session's length (only the type applies). */
    public static final int NO_LIMIT = 0;

    public boolean deactivates() {
        return type == Type.SESSION_END_AND_DEACTIVATE;
    }

    public JsonObject toJson() {
        JsonObject j = new JsonObject().put("type", type.wire());
        return durationSeconds == NO_LIMIT ? j : j.put("duration", durationSeconds);
    }

    public static AutoClose fromJson(JsonObject j) {
        if (j == null) return null;
        Type t = Type.of(j.getString("type"));
        return new AutoClose(t == null ? Type.SESSION_ENDS : t, j.getInteger("duration", NO_LIMIT));
    }
}
