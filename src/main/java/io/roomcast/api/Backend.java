package io.roomcast.api;

import io.roomcast.compose.Layouts;
import io.roomcast.events.Webhooks;
import io.roomcast.ingest.RtpIngest;
import io.roomcast.output.Outputs;
import io.roomcast.output.hls.HlsStreams;
import io.roomcast.events.RoomEventLog;
import io.roomcast.messages.MessageService;
import io.roomcast.output.livestream.Livestreams;
import io.roomcast.output.recording.Recordings;
import io.roomcast.room.RoomService;
import io.roomcast.storage.ObjectStore;
import io.roomcast.transcribe.PostCallService;
import io.roomcast.transcribe.TranscriptionService;

/** The stages the API answers for, by name instead of a long positional list. */
public record Backend(RoomService rooms, RtpIngest ingest, TranscriptionService transcription, Layouts layouts,
                      Recordings recordings, Livestreams livestreams, HlsStreams hls, PostCallService postCall,
                      Webhooks webhooks, ObjectStore store, Outputs outputs,
                      MessageService messages, RoomEventLog roomEvents) {
}
