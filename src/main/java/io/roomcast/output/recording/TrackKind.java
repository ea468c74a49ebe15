package io.roomcast.output.recording;

import io.roomcast.room.Track;

import java.util.Locale;

/** Which of a participant's tracks a track recording copies, by VideoSDK's names ({@link #wire()}). */
public enum TrackKind {
    AUDIO("audio", "mic"), VIDEO("video", "camera"), SCREEN_VIDEO("video", "screen");

    private final String kind;
    private final String source;

    TrackKind(String kind, String source) {
        this.kind = kind;
        this.source = source;
    }

    /** {@code audio}, {@code video} or {@code screen_video}. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The kind a request names, or null. */
    public static TrackKind of(String wire) {
        for (TrackKind k : values()) if (k.wire().equals(wire)) return k;
        return null;
    }

    boolean video() {
        return kind.equals("video");
    }

    /** Whether a participant's track is of this kind (a track without a source counts as camera or mic). */
    boolean is(Track t) {
        String s = t.source() == null ? (t.kind().equals("audio") ? "mic" : "camera") : t.source();
        return t.kind().equals(kind) && s.equals(source);
    }
}
