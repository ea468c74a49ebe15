package io.roomcast.compose;

import io.roomcast.encode.EncodeGroup;
import io.roomcast.encode.OutputConfig;

/** What the composition needs of an output: its session and config, and joining or leaving an encoder. */
public interface Composed extends EncodeGroup.Sink {
    String roomId();

    String sessionId();

    OutputConfig config();

    /** True once the output was asked to end; it is not joined to an encoder any more. */
    boolean ending();

    /** Joins the encoder (on the media thread). */
    void begin(EncodeGroup group);

    /** Finishes the output on its own thread; idempotent. */
    void end();

    /** Where this output keeps stills of its composite (thumbnails), or null. */
    default StillSink stills() {
        return null;
    }

    /** A participant's own Opus packet (from the media thread); only recordings keep them. */
    default void participantAudio(String participantId, long sessionMicros, byte[] opus) {
    }
}
