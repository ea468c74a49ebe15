package io.roomcast.output.recording;

import io.roomcast.encode.Muxer;
import io.roomcast.encode.OutputConfig;
import io.roomcast.encode.Packet;
import io.roomcast.outbound.OutboundPolicy;
import io.roomcast.output.Output;
import io.roomcast.output.OutputStatus;
import io.roomcast.storage.ObjectStore;
import io.roomcast.storage.Retry;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Cloud recording: a fragmented MP4 written locally, each new stretch of the file (a fragment per
 * second) uploaded to the store as soon as it is complete, so a crash loses at
 * most the fragment in progress. The local file is the spill while the store is unreachable: the
 * uploader retries in order and catches up. At the end the fragments are rewritten into an ordinary
 * MP4 (index first), uploaded (multipart when large) to {@code recordings/{room}/{session}/{id}.mp4},
 * and the part objects and local files are removed.
 *
 * <p>The spill (bytes written locally but not yet in the store) is bounded by
 * {@code limits.maxSpillBytesPerRecording}: past it the recording stops taking media (the status's
 * {@code reason} and {@code spill} say so, webhook {@code recording-spill-limit-reached}) until the
 * store has taken half of it back, then resumes on the next keyframe
 * ({@code recording-spill-recovered}). What was written before is never dropped; the file has a gap.
 */
final class Recording extends Output {
    private static final Logger LOG = Logger.getLogger(Recording.class.getName());
    static final long FRAGMENT_MICROS = 1_000_000;

    private final ObjectStore store;
    private final Path dir;
    private final Path local;
    final String keyBase; // {prefix}recordings/{room}/{session}/{id}
    final String webhookUrl;
    final String awsDirPath;
    final boolean transcribe;
    private final String preSignedUrl;
    private final OutboundPolicy outbound;
    private final ExecutorService uploader;
    private Muxer muxer;
    private long fileStartSessionMicros;
    /** Each participant's own audio, copied into a WebM file; muxed on the recording's thread. */
    private final Map<String, Muxer> voices = new LinkedHashMap<>();
    private Muxer.Streams voiceStreams;
    private long uploadedTo;
    private int seq;
    private long lastCutMicros;
    final AtomicLong bytesUploaded = new AtomicLong();
    private final long spillLimitBytes;
    private volatile boolean overSpillLimit;
    private volatile long spillGapStartMicros;
    private volatile long spillGapMicros;
    private volatile long spillDroppedPackets;
    private volatile int spillLimitReached;
    private volatile long lastPacketMicros;
    final AtomicLong uploadFailures = new AtomicLong();
    volatile JsonObject file;
    volatile JsonArray participantFiles;

    Recording(String id, String roomId, String sessionId, OutputConfig config, Listener listener, ObjectStore store,
              Path dataDir, RecordingOptions options, long spillLimitBytes, OutboundPolicy outbound) throws IOException {
        super("recording", id, roomId, sessionId, config, listener);
        this.store = store;
        this.awsDirPath = options.awsDirPath();
        this.keyBase = prefix(awsDirPath) + "recordings/" + roomId + "/" + sessionId + "/" + id;
        this.webhookUrl = options.webhookUrl();
        this.transcribe = options.transcribe();
        this.preSignedUrl = options.preSignedUrl();
        this.outbound = outbound;
        this.spillLimitBytes = spillLimitBytes;
        this.dir = dataDir.resolve("recordings").resolve(id);
        Files.createDirectories(dir);
        this.local = dir.resolve("recording.fmp4");
        this.uploader = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "roomcast-upload-" + id);
            t.setDaemon(true);
            return t;
        });
    }

    static String prefix(String awsDirPath) {
        if (awsDirPath == null || awsDirPath.isEmpty()) return "";
        return awsDirPath.endsWith("/") ? awsDirPath : awsDirPath + "/";
    }

    @Override
    public String kind() {
        return "recording";
    }

    /** The participant a participant recording shows, or null for the room's composite. */
    String participantId() {
        return config.participantId();
    }

    @Override
    protected void onPacket(Packet p) throws IOException {
        if (finished()) return;
        if (muxer == null) {
            if (streams.hasVideo() && !(p.video() && p.key())) return; // a file starts on a keyframe
            Map<String, String> opts = new HashMap<>();
            // A fragment (and an upload) every second, keyframe or not: a crash loses about a second.
            opts.put("movflags", "+empty_moov+default_base_moof");
            opts.put("frag_duration", Long.toString(FRAGMENT_MICROS));
            muxer = new Muxer("mp4", local.toString(), streams, opts, p.micros());
            fileStartSessionMicros = group.startMicros + p.micros();
            lastCutMicros = p.micros();
            // 'start' is where the file's time 0 is on the wall clock, so that a moment of the call
            // (a pin, a chat message) can be found in the file; the first packet is written later.
            setStarted(sessionInstant(fileStartSessionMicros));
        }
        lastPacketMicros = p.micros();
        if (spillFull(p)) return;
        muxer.write(p);
        if (p.micros() - lastCutMicros >= FRAGMENT_MICROS) {
            lastCutMicros = p.micros();
            muxer.flush();
            uploadNewBytes();
        }
    }

    /**
     * A participant's own Opus packet (from the media thread): copied, not re-encoded, into that
     * participant's WebM file on the recording's timeline, for speaker-labelled transcripts.
     */
    @Override
    public void participantAudio(String participantId, long sessionMicros, byte[] opus) {
        if (ending() || config.participantId() != null) return; // a participant recording is one voice already
        try {
            thread.execute(() -> {
                if (muxer == null || finished()) return;
                try {
                    Muxer w = voices.get(participantId);
                    if (w == null) {
                        if (voiceStreams == null) voiceStreams = Muxer.Streams.opus();
                        w = new Muxer("webm", dir.resolve("voice-" + participantId + ".webm").toString(), voiceStreams, Map.of(), 0);
                        voices.put(participantId, w);
                    }
                    long pts = (sessionMicros - fileStartSessionMicros) * 48 / 1000;
                    if (opus.length > 0) w.write(new Packet(false, true, opus, pts, pts, 960, 48_000));
                } catch (IOException e) {
                    LOG.warning("recording " + id + ": the audio of " + participantId + " could not be written: " + e.getMessage());
                }
            });
        } catch (RejectedExecutionException e) {
            packetsDropped.incrementAndGet();
        }
    }

    /** Closes and uploads each participant's file; their manifest entries. */
    private JsonArray finishVoices() {
        JsonArray out = new JsonArray();
        for (Map.Entry<String, Muxer> e : voices.entrySet()) {
            Path f = dir.resolve("voice-" + e.getKey() + ".webm");
            try {
                e.getValue().close();
                String key = keyBase + "/participants/" + e.getKey() + ".webm";
                store.putFile(key, f, "audio/webm");
                out.add(new JsonObject().put("participantId", e.getKey()).put("filePath", key).put("size", Files.size(f))
                        .put("packets", e.getValue().packetsWritten));
            } catch (Exception ex) {
                LOG.warning("recording " + id + ": the audio file of " + e.getKey() + " was not stored: " + ex.getMessage());
            }
        }
        voices.clear();
        if (voiceStreams != null) voiceStreams.close();
        return out;
    }

    /** Bytes in the local file that the store has not taken yet. */
    long spillBytes() {
        return uploadedTo - bytesUploaded.get();
    }

    /**
     * True while the spill is over its bound and packets must be dropped; goes back to recording once
     * the store has taken half of it, on a keyframe so the picture resumes whole.
     */
    private boolean spillFull(Packet p) {
        long spill = spillBytes();
        if (!overSpillLimit) {
            if (spill <= spillLimitBytes) return false;
            overSpillLimit = true;
            spillLimitReached++;
            spillGapStartMicros = p.micros();
            spillDroppedPackets++;
            LOG.warning("recording " + id + ": " + spill + " bytes wait for the store, over limits.maxSpillBytesPerRecording ("
                    + spillLimitBytes + "); media is not recorded until the store catches up");
            setReason("the store is unreachable and the local spill reached its limit (" + spillLimitBytes
                    + " bytes); media is not recorded until the store catches up");
            listener.event(this, "recording-spill-limit-reached");
            return true;
        }
        if (spill > spillLimitBytes / 2 || (streams.hasVideo() && !(p.video() && p.key()))) {
            spillDroppedPackets++;
            return true;
        }
        overSpillLimit = false;
        spillGapMicros += p.micros() - spillGapStartMicros;
        LOG.info("recording " + id + ": the store caught up; recording again after a gap of "
                + (p.micros() - spillGapStartMicros) / 1000 + " ms");
        setReason(null);
        listener.event(this, "recording-spill-recovered");
        return false;
    }

    /** Queues the bytes written since the last upload as the next part object. */
    private void uploadNewBytes() throws IOException {
        long size = Files.size(local);
        if (size <= uploadedTo) return;
        long from = uploadedTo;
        int length = (int) (size - from);
        int n = ++seq;
        uploadedTo = size;
        uploader.execute(() -> uploadPart(n, from, length));
    }

    private void uploadPart(int n, long from, int length) {
        boolean done = Retry.untilDone("recording " + id + ": part " + n, () -> {
            byte[] bytes = new byte[length];
            try (RandomAccessFile f = new RandomAccessFile(local.toFile(), "r")) {
                f.seek(from);
                f.readFully(bytes);
            }
            try {
                store.put(Finalizer.partKey(keyBase, n), Buffer.buffer(bytes), "application/octet-stream").await(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                uploadFailures.incrementAndGet();
                throw e;
            }
        });
        if (done) bytesUploaded.addAndGet(length);
    }

    @Override
    protected void finish() throws Exception {
        if (muxer == null) {
            uploader.shutdownNow();
            deleteLocal();
            fail("no media reached the recording before it ended");
            return;
        }
        setStatus(OutputStatus.STOPPING, null);
        long duration = muxer.durationMicros();
        muxer.close();
        muxer = null;
        uploadNewBytes();
        uploader.shutdown();
        if (!uploader.awaitTermination(30, TimeUnit.MINUTES)) LOG.warning("recording " + id + ": parts still uploading");
        file = Finalizer.finish(store, local, dir, keyBase, config, duration, seq);
        if (preSignedUrl != null) {
            file.put("preSignedUpload", PreSignedUpload.put(preSignedUrl, Finalizer.finalFile(dir, config),
                    file.getString("type"), outbound).toJson());
        }
        participantFiles = finishVoices();
        deleteLocal();
        setStatus(OutputStatus.STOPPED, null);
    }

    private void deleteLocal() {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            LOG.warning("could not remove " + dir + ": " + e.getMessage());
        }
    }

    @Override
    public JsonObject toJson() {
        return super.toJson().put("kind", "recording").put("participantId", config.participantId())
                .put("participantRecording", config.participantId() != null).put("keyBase", keyBase).put("awsDirPath", awsDirPath)
                .put("webhookUrl", webhookUrl).put("transcription", new JsonObject().put("enabled", transcribe))
                .put("file", file).put("participantFiles", participantFiles).put("bytesUploaded", bytesUploaded.get())
                .put("spill", new JsonObject().put("bytes", Math.max(0, spillBytes())).put("limitBytes", spillLimitBytes)
                        .put("limitReached", spillLimitReached).put("recording", !overSpillLimit)
                        .put("droppedPackets", spillDroppedPackets)
                        .put("gapSeconds", Math.round((spillGapMicros + (overSpillLimit && group != null
                                ? Math.max(0, lastPacketMicros - spillGapStartMicros) : 0)) / 1000.0) / 1000.0));
    }
}
