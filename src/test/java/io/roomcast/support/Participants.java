package io.roomcast.support;

/** Participants as the output tests join them: Opus audio and, when given, a camera. */
public final class Participants {
    private Participants() {
    }

    /** Joins {@code pid} ("Ann Example" for ann) with Opus on {@code audioSsrc} and a camera unless {@code videoSsrc} is 0; the session id. */
    public static String join(Api api, String room, String pid, long audioSsrc, long videoSsrc, String codec) {
        String name = pid.substring(0, 1).toUpperCase() + pid.substring(1) + " Example";
        return videoSsrc > 0 ? api.join(room, pid, name, Tracks.opus(audioSsrc), Tracks.camera(codec, videoSsrc))
                : api.join(room, pid, name, Tracks.opus(audioSsrc));
    }
}
