package io.roomcast.transcribe;

import java.util.List;

/** The live captions of a room since a session time (ms; -1 for all); empty when no transcription runs. */
public interface CaptionSource {
    List<Caption> captions(String roomId, long sinceMs);
}
