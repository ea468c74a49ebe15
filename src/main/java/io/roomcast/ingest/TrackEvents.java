package io.roomcast.ingest;

import io.roomcast.events.Events;
import io.roomcast.room.Room;
import io.roomcast.room.RoomService;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.Collection;

/**
 * Events about tracks (track-silent/resumed, track-source-changed, keyframe-needed) to the room's
 * webhook and event bus, each with the track's room, session, participant, SSRC and kind. Called by the
 * socket thread, the silence timer and media threads; {@link Events} is safe from any of them.
 */
final class TrackEvents {
    private final RoomService rooms;
    private final Events events;

    TrackEvents(RoomService rooms, Events events) {
        this.rooms = rooms;
        this.events = events;
    }

    /** track-silent after {@code silenceMillis} without packets, track-resumed when they come back. */
    void checkSilence(Collection<TrackReceiver> receivers, long silenceMillis) {
        long now = System.currentTimeMillis();
        for (TrackReceiver r : receivers) {
            long last = r.stats.lastPacketMillis();
            if (last == 0) continue;
            boolean quiet = now - last >= silenceMillis;
            if (quiet != r.silent) {
                r.silent = quiet;
                announce(r, quiet, "timeout");
            }
        }
    }

    /** track-silent (reason bye or timeout) or track-resumed, to the room's webhook and event bus. */
    void announce(TrackReceiver r, boolean silent, String reason) {
        long last = r.stats.lastPacketMillis();
        JsonObject data = new JsonObject().put("lastPacketAt", last == 0 ? null : Instant.ofEpochMilli(last).toString());
        if (silent) data.put("reason", reason);
        emit(r, silent ? "track-silent" : "track-resumed", data);
    }

    /** An event about a track, with the track's room, session, participant, SSRC and kind. */
    void emit(TrackReceiver r, String type, JsonObject extra) {
        Room room;
        try {
            room = rooms.room(r.binding.roomId());
        } catch (RuntimeException e) {
            return;
        }
        JsonObject data = new JsonObject().put("roomId", r.binding.roomId()).put("sessionId", r.binding.sessionId())
                .put("participantId", r.binding.participantId()).put("ssrc", r.binding.track().ssrc())
                .put("kind", r.binding.track().kind()).mergeIn(extra);
        events.emit(room, type, data);
    }
}
