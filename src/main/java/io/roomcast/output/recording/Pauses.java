package io.roomcast.output.recording;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The pauses of a recording on its encoder's timeline (microseconds): what is left out of the file,
 * and how far the media after each pause moves back so that the file runs on without a gap. A pause
 * covers {@code [from, to)}; {@code to} is open ({@link Long#MAX_VALUE}) until the recording resumes.
 * Used on the recording's thread only.
 */
final class Pauses {
    /** One pause: media times left out, and the wall-clock instants it was asked and ended (end null while open). */
    record Pause(long fromMicros, long toMicros, Instant start, Instant end) {
        boolean open() {
            return toMicros == Long.MAX_VALUE;
        }

        long lengthMicros() {
            return toMicros - fromMicros;
        }
    }

    private final List<Pause> list = new ArrayList<>();

    boolean isEmpty() {
        return list.isEmpty();
    }

    /** True while the last pause has not been resumed. */
    boolean paused() {
        return !list.isEmpty() && last().open();
    }

    private Pause last() {
        return list.get(list.size() - 1);
    }

    /** Media from {@code fromMicros} on is left out, until {@link #resume}. */
    void pause(long fromMicros, Instant at) {
        if (paused()) return;
        long floor = list.isEmpty() ? Long.MIN_VALUE : last().toMicros();
        list.add(new Pause(Math.max(fromMicros, floor), Long.MAX_VALUE, at, null));
    }

    /** Media from {@code toMicros} on is recorded again (moved back by every pause before it). */
    void resume(long toMicros, Instant at) {
        if (!paused()) return;
        Pause p = last();
        list.set(list.size() - 1, new Pause(p.fromMicros(), Math.max(p.fromMicros(), toMicros), p.start(), at));
    }

    /** The recording picks up later than planned (its first keyframe after the pause came later). */
    void resumedAt(long toMicros) {
        if (list.isEmpty() || last().open()) return;
        Pause p = last();
        if (toMicros > p.toMicros()) list.set(list.size() - 1, new Pause(p.fromMicros(), toMicros, p.start(), p.end()));
    }

    /** The end of the last closed pause, or {@link Long#MIN_VALUE} when there is none. */
    long lastResumeMicros() {
        for (int i = list.size() - 1; i >= 0; i--) if (!list.get(i).open()) return list.get(i).toMicros();
        return Long.MIN_VALUE;
    }

    /** True when media at {@code micros} falls into a pause (an open one covers everything after its start). */
    boolean leftOut(long micros) {
        for (Pause p : list) if (micros >= p.fromMicros() && micros < p.toMicros()) return true;
        return false;
    }

    /** How far media at {@code micros} moves back: the length of every pause that ended at or before it. */
    long shiftMicros(long micros) {
        long shift = 0;
        for (Pause p : list) if (!p.open() && p.toMicros() <= micros) shift += p.lengthMicros();
        return shift;
    }

    /** The recorded time left out so far (an open pause counts up to {@code nowMicros}). */
    long pausedMicros(long nowMicros) {
        long sum = 0;
        for (Pause p : list) sum += p.open() ? Math.max(0, nowMicros - p.fromMicros()) : p.lengthMicros();
        return sum;
    }

    /** {@code [{start, end}]}, wall-clock ISO-8601; an open pause ends at {@code endIfOpen} (null while running). */
    JsonArray toJson(Instant endIfOpen) {
        JsonArray a = new JsonArray();
        for (Pause p : list) {
            Instant end = p.end() != null ? p.end() : endIfOpen;
            a.add(new JsonObject().put("start", p.start().toString()).put("end", end == null ? null : end.toString()));
        }
        return a;
    }
}
