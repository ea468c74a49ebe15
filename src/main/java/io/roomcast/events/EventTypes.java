package io.roomcast.events;

import java.util.Map;
import java.util.Set;

/** The event types a room's webhook may subscribe to; a stage that adds an event adds its type here. */
public final class EventTypes {
    public static final Set<String> ALL = Set.of(
            "session-started", "session-ended", "participant-joined", "participant-left", "track-silent", "track-resumed",
            "track-source-changed", "keyframe-needed",
            "speaker-changed",
            "recording-starting", "recording-started", "recording-stopping", "recording-stopped", "recording-failed",
            "recording-spill-limit-reached", "recording-spill-recovered", "recording-paused", "recording-resumed",
            "participant-recording-starting", "participant-recording-started", "participant-recording-stopping",
            "participant-recording-stopped", "participant-recording-failed",
            "participant-track-recording-starting", "participant-track-recording-started", "participant-track-recording-stopping",
            "participant-track-recording-stopped", "participant-track-recording-failed",
            "livestream-starting", "livestream-started", "livestream-stopping", "livestream-stopped", "livestream-failed",
            "hls-starting", "hls-started", "hls-playable", "hls-stopping", "hls-stopped", "hls-failed",
            "transcription-started", "transcription-stopped",
            "post-transcription-completed", "post-transcription-failed",
            "transcription-completed",
            "message-published");

    /** VideoSDK's name of an event Roomcast names otherwise, sent to webhooks whose events ask for it. */
    public static final Map<String, String> VIDEOSDK_ALIASES = Map.of("post-transcription-completed", "transcription-completed");

    private EventTypes() {
    }
}
