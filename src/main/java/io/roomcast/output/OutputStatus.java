package io.roomcast.output;

import java.util.Locale;

/** The life of an output as the API and webhooks name it ({@link #wire()}). */
public enum OutputStatus {
    STARTING, STARTED, RECONNECTING,
    /** A recording that takes no media until it is resumed (its file runs on without the paused part). */
    PAUSED,
    STOPPING, STOPPED, FAILED,
    /** A finished recording whose files were removed (DELETE /v2/recordings/{id}); its manifest stays as a tombstone. */
    DELETED;

    /** The status as it stands in JSON: {@code starting}, {@code started}, ... */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Stopped, failed or deleted: nothing more will happen to it. */
    public boolean terminal() {
        return this == STOPPED || this == FAILED || this == DELETED;
    }

    /** The status of a stored manifest; an unknown or missing one reads as {@code starting} (unfinished). */
    public static OutputStatus of(String wire) {
        if (wire != null) {
            for (OutputStatus s : values()) if (s.wire().equals(wire)) return s;
        }
        return STARTING;
    }
}
