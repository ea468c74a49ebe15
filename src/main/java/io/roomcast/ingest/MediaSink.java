package io.roomcast.ingest;

import io.roomcast.room.RoomService.TrackBinding;
import org.bytedeco.ffmpeg.avutil.AVFrame;

/**
 * Where decoded media goes (the mixer, the compositor, recognizers). Called on the room's media
 * thread, in order per track, with times on the session clock (microseconds since the session began).
 */
public interface MediaSink {
    /** 48 kHz mono 16-bit PCM; {@code pcm} is the caller's and may be reused after the call. */
    default void audio(TrackBinding track, long sessionMicros, short[] pcm, int samples, boolean concealed) {
    }

    /** One Opus packet as the sender encoded it (before decoding), for copies without re-encoding. */
    default void encodedAudio(TrackBinding track, long sessionMicros, byte[] opus) {
    }

    /**
     * One video frame as the sender encoded it (VP8 or H.264, before decoding), for copies without
     * re-encoding; {@code data} is the caller's and must not be changed. Given whether or not pictures are decoded.
     */
    default void encodedVideo(TrackBinding track, long sessionMicros, byte[] data, boolean keyframe) {
    }

    /** Whether this stage copies the track's encoded frames and waits for a keyframe to begin (one is asked for). */
    default boolean wantsKeyframe(TrackBinding track) {
        return false;
    }

    /**
     * Whether this stage uses the session's pictures now. Video is decoded only while some stage
     * wants it (decoding is most of a participant's cost); asked on the media thread per frame.
     */
    default boolean wantsVideo(String sessionId) {
        return false;
    }

    /** A decoded picture (usually YUV420P), borrowed for the duration of the call only. */
    default void video(TrackBinding track, long sessionMicros, AVFrame frame) {
    }

    /** The room's media clock: every 10 ms, {@code nowMicros} being the session time now. */
    default void tick(String roomId, String sessionId, long nowMicros) {
    }

    /** The session's media thread is about to stop: release what belongs to it. */
    default void sessionClosed(String roomId, String sessionId) {
    }
}
