package io.roomcast.output;

import java.util.Locale;

/** The life of an output as the API and webhooks name it ({@link #wire()}). */
public enum OutputStatus {
    STARTING, STARTED, RECONNECTING, STOPPING, STOPPED, FAILED;

    /** The status as it stands in JSON: {@code starting}, {@code started}, ... */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Stopped or failed: nothing more will happen to it. */
    public boolean terminal() {
        return this == STOPPED || this == FAILED;
    }

    /** The status of a stored manifest; an unknown or missing one reads as {@code starting} (unfinished). */
    public static OutputStatus of(String wire) {
        if (wire != null) {
            for (OutputStatus s : values()) if (s.wire().equals(wire)) return s;
        }
        return STARTING;
    }
}
