package io.roomcast.output.recording;

import io.roomcast.ingest.MediaSink;
import io.roomcast.room.RoomService.TrackBinding;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The media sink of track recordings: each sender's encoded frames handed, as they come, to the
 * track recordings that copy that track. On the room's media thread; nothing is decoded for it.
 */
final class TrackCopies implements MediaSink {
    private final List<TrackRecording> running = new CopyOnWriteArrayList<>();

    void add(TrackRecording r) {
        running.add(r);
    }

    void remove(TrackRecording r) {
        running.remove(r);
    }

    @Override
    public void encodedAudio(TrackBinding track, long sessionMicros, byte[] opus) {
        for (TrackRecording r : running) if (r.takes(track)) r.copy(sessionMicros, opus, true, false);
    }

    @Override
    public void encodedVideo(TrackBinding track, long sessionMicros, byte[] data, boolean keyframe) {
        for (TrackRecording r : running) if (r.takes(track)) r.copy(sessionMicros, data, keyframe, true);
    }

    @Override
    public boolean wantsKeyframe(TrackBinding track) {
        for (TrackRecording r : running) if (r.takes(track) && r.waitsForKeyframe()) return true;
        return false;
    }
}
