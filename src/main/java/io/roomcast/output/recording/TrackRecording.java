package io.roomcast.output.recording;

import io.roomcast.encode.Muxer;
import io.roomcast.encode.Packet;
import io.roomcast.output.Output;
import io.roomcast.output.OutputStatus;
import io.roomcast.room.RoomService.TrackBinding;
import io.roomcast.storage.ObjectStore;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.logging.Logger;

/**
 * A track recording (LiveKit's track egress, VideoSDK's participant track recording): one track of
 * one participant, the sender's own VP8 frames or Opus packets copied into WebM without decoding or
 * re-encoding, so it costs almost nothing. A participant recording in WebM is the same with the
 * camera and the microphone in one file. The file begins on a keyframe (one is asked for) and is
 * written locally, then uploaded to {@code recordings/{room}/{session}/{id}.webm} when it ends.
 *
 * <p>Threads: {@link #copy} comes on the room's media thread and is handed to the output's thread,
 * which owns the muxer and closes it once.
 */
final class TrackRecording extends Output {
    private static final Logger LOG = Logger.getLogger(TrackRecording.class.getName());

    private final List<TrackKind> kinds;
    private final boolean video;
    private final boolean participant;
    private final String participantId;
    private final ObjectStore store;
    private final Path dir;
    private final Path local;
    final String keyBase;
    final String webhookUrl;
    private final String awsDirPath;
    private volatile boolean haveKeyframe;
    private Muxer muxer;
    private Muxer.Streams copyStreams;
    private long firstMicros;
    private long lastMicros;
    private int width;
    private int height;
    volatile JsonObject file;

    /** {@code kinds}: one track, or a participant's camera and microphone (the camera first, if they have a VP8 one). */
    TrackRecording(String id, String roomId, String sessionId, String participantId, List<TrackKind> kinds, boolean participant,
                   Listener listener, ObjectStore store, Path dataDir, RecordingOptions options) throws IOException {
        super("track-recording", id, roomId, sessionId, null, listener);
        this.participantId = participantId;
        this.kinds = List.copyOf(kinds);
        this.participant = participant;
        this.video = kinds.stream().anyMatch(TrackKind::video);
        this.store = store;
        this.awsDirPath = options.awsDirPath();
        this.keyBase = Recording.prefix(awsDirPath) + "recordings/" + roomId + "/" + sessionId + "/" + id;
        this.webhookUrl = options.webhookUrl();
        this.dir = dataDir.resolve("recordings").resolve(id);
        Files.createDirectories(dir);
        this.local = dir.resolve("track.webm");
        this.haveKeyframe = !video;
    }

    @Override
    public String kind() {
        return "track-recording";
    }

    String participantId() {
        return participantId;
    }

    /** The one track kind this copies, or null for a participant recording (camera and microphone). */
    TrackKind trackKind() {
        return participant ? null : kinds.get(0);
    }

    boolean participantRecording() {
        return participant;
    }

    /** Whether this copies that track. */
    boolean takes(TrackBinding t) {
        if (ending() || !t.sessionId().equals(sessionId) || !t.participantId().equals(participantId)) return false;
        for (TrackKind k : kinds) if (k.is(t.track())) return true;
        return false;
    }

    /** A video copy that has not had its first keyframe yet. */
    boolean waitsForKeyframe() {
        return !haveKeyframe && !ending();
    }

    /** From the media thread: one encoded frame of a track, queued for the output's thread; the file starts on a keyframe. */
    void copy(long sessionMicros, byte[] data, boolean keyframe, boolean isVideo) {
        if (!haveKeyframe) {
            if (!isVideo || !keyframe || Vp8.width(data) <= 0) return;
            haveKeyframe = true;
        }
        try {
            thread.execute(() -> write(sessionMicros, data, keyframe, isVideo));
        } catch (RejectedExecutionException e) {
            packetsDropped.incrementAndGet();
        }
    }

    private void write(long micros, byte[] data, boolean keyframe, boolean isVideo) {
        if (finished() || data.length == 0) return;
        try {
            if (muxer == null) {
                if (video) {
                    width = Vp8.width(data);
                    height = Vp8.height(data);
                    copyStreams = Muxer.Streams.vp8(width, height, kinds.contains(TrackKind.AUDIO));
                } else {
                    copyStreams = Muxer.Streams.opus();
                }
                muxer = new Muxer("webm", local.toString(), copyStreams, Map.of(), 0);
                firstMicros = micros;
                setStarted(sessionInstant(micros));
            }
            if (micros < firstMicros) return;
            lastMicros = Math.max(lastMicros, micros);
            long since = micros - firstMicros;
            Packet p = isVideo
                    ? new Packet(true, keyframe, data, since / 1000, since / 1000, 0, 1000)
                    : new Packet(false, true, data, since * 48 / 1000, since * 48 / 1000, 960, 48_000);
            muxer.write(p);
        } catch (IOException e) {
            LOG.warning("track recording " + id + " could not write: " + e.getMessage());
            packetsDropped.incrementAndGet();
        }
    }

    @Override
    protected void onPacket(Packet p) {
        // never joins an encoder
    }

    @Override
    protected void finish() throws Exception {
        try {
            if (muxer == null) {
                fail("no " + (video ? "video keyframe" : "audio") + " of " + participantId + " reached the recording before it ended");
                return;
            }
            setStatus(OutputStatus.STOPPING, null);
            long frameMicros = video ? 0 : 20_000;
            muxer.close();
            muxer = null;
            String key = keyBase + ".webm";
            String type = video ? "video/webm" : "audio/webm";
            store.putFile(key, local, type);
            file = new JsonObject().put("filePath", key).put("size", Files.size(local)).put("type", type)
                    .put("meta", Finalizer.meta(width, height, "webm", lastMicros - firstMicros + frameMicros));
            setStatus(OutputStatus.STOPPED, null);
        } finally {
            if (copyStreams != null) copyStreams.close();
            Files.deleteIfExists(local);
            Files.deleteIfExists(dir);
        }
    }

    @Override
    public JsonObject toJson() {
        TrackKind one = trackKind();
        return super.toJson().put("kind", "track-recording").put("participantId", participantId)
                .put("trackKind", one == null ? null : one.wire()).put("participantRecording", participant)
                .put("keyBase", keyBase).put("awsDirPath", awsDirPath).put("webhookUrl", webhookUrl).put("file", file);
    }

    /** The frame size a VP8 keyframe carries (RFC 6386 9.1), or 0 when {@code f} is no keyframe. */
    static final class Vp8 {
        private Vp8() {
        }

        static int width(byte[] f) {
            return key(f) ? ((f[6] & 0xff) | (f[7] & 0xff) << 8) & 0x3fff : 0;
        }

        static int height(byte[] f) {
            return key(f) ? ((f[8] & 0xff) | (f[9] & 0xff) << 8) & 0x3fff : 0;
        }

        private static boolean key(byte[] f) {
            return f.length >= 10 && (f[0] & 1) == 0 && (f[3] & 0xff) == 0x9d && (f[4] & 0xff) == 0x01 && (f[5] & 0xff) == 0x2a;
        }
    }
}
