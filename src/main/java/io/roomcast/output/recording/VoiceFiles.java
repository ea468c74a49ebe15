package io.roomcast.output.recording;

import io.roomcast.encode.Muxer;
import io.roomcast.encode.Packet;
import io.roomcast.storage.ObjectStore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Each participant's own Opus packets copied, not re-encoded, into a WebM file of theirs on the
 * recording's timeline, for speaker-labelled transcripts. Owned by one recording and used on its
 * thread; the muxers are closed once by {@link #finish}.
 */
final class VoiceFiles {
    private static final Logger LOG = Logger.getLogger(VoiceFiles.class.getName());

    private final String recordingId;
    private final Path dir;
    private final Map<String, Muxer> files = new LinkedHashMap<>();
    private Muxer.Streams streams;

    VoiceFiles(String recordingId, Path dir) {
        this.recordingId = recordingId;
        this.dir = dir;
    }

    /** One packet at {@code pts48k} (48 kHz samples from the file's start). */
    void write(String participantId, long pts48k, byte[] opus) {
        if (opus.length == 0) return;
        try {
            Muxer w = files.get(participantId);
            if (w == null) {
                if (streams == null) streams = Muxer.Streams.opus();
                w = new Muxer("webm", file(participantId).toString(), streams, Map.of(), 0);
                files.put(participantId, w);
            }
            w.write(new Packet(false, true, opus, pts48k, pts48k, 960, 48_000));
        } catch (IOException e) {
            LOG.warning("recording " + recordingId + ": the audio of " + participantId + " could not be written: " + e.getMessage());
        }
    }

    private Path file(String participantId) {
        return dir.resolve("voice-" + participantId + ".webm");
    }

    /** Closes and uploads each participant's file under {@code keyBase/participants/}; their manifest entries. */
    JsonArray finish(ObjectStore store, String keyBase) {
        JsonArray out = new JsonArray();
        for (Map.Entry<String, Muxer> e : files.entrySet()) {
            Path f = file(e.getKey());
            try {
                e.getValue().close();
                String key = keyBase + "/participants/" + e.getKey() + ".webm";
                store.putFile(key, f, "audio/webm");
                out.add(new JsonObject().put("participantId", e.getKey()).put("filePath", key).put("size", Files.size(f))
                        .put("packets", e.getValue().packetsWritten));
            } catch (Exception ex) {
                LOG.warning("recording " + recordingId + ": the audio file of " + e.getKey() + " was not stored: " + ex.getMessage());
            }
        }
        files.clear();
        if (streams != null) streams.close();
        return out;
    }
}
