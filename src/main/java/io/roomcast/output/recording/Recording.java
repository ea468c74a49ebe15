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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
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
    /** Each participant's own audio, copied into a WebM file of theirs. */
    private final VoiceFiles voices;
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
    /** What the API asked: paused or not (the event loop's view; the cut itself happens on the recording's thread). */
    private boolean pauseAsked;
    private volatile boolean everPaused;
    /** Recording thread only: the pauses, audio held after a resume until the picture restarts on a keyframe. */
    private final Pauses pauses = new Pauses();
    private final List<Packet> heldAudio = new ArrayList<>();
    private boolean awaitingKeyframe;
    private boolean pauseFragmentCut;
    private volatile JsonArray pausesJson = new JsonArray();

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
        this.voices = new VoiceFiles(id, dir);
        keepThumbnails(options.thumbnails(), store, keyBase + "/");
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
        if (leftOutByPause(p)) return;
        if (spillFull(p)) return;
        muxer.write(shifted(p));
        if (p.micros() - lastCutMicros >= FRAGMENT_MICROS) {
            lastCutMicros = p.micros();
            muxer.flush();
            uploadNewBytes();
        }
    }

    /**
     * Asks the recording to leave out what happens from now on: the cut is on the first picture
     * that shows at or after this instant, so nothing said before the request is lost. False when
     * it is paused already or ending (on the event loop).
     */
    boolean pause() {
        Instant at = Instant.now();
        synchronized (this) {
            if (pauseAsked || ending() || group == null) return false;
            long from = group.frameAtOrAfter(sessionMicrosAt(at) - group.startMicros);
            try {
                thread.execute(() -> {
                    if (finished()) return;
                    pauses.pause(from, at);
                    pauseFragmentCut = false;
                    everPaused = true;
                    pausesJson = pauses.toJson(null);
                    setStatus(OutputStatus.PAUSED, null);
                });
            } catch (RejectedExecutionException e) {
                return false;
            }
            pauseAsked = true;
            return true;
        }
    }

    /**
     * Records again from the first picture that shows at or after now, which the encoder makes a
     * keyframe, so the file goes on from the last picture before the pause without a gap. False when
     * it is not paused or ending (on the event loop).
     */
    boolean resume() {
        Instant at = Instant.now();
        synchronized (this) {
            if (!pauseAsked || ending()) return false;
            long to = group.frameAtOrAfter(sessionMicrosAt(at) - group.startMicros);
            try {
                thread.execute(() -> {
                    if (finished()) return;
                    pauses.resume(to, at);
                    awaitingKeyframe = streams.hasVideo();
                    pausesJson = pauses.toJson(null);
                    setStatus(OutputStatus.STARTED, null);
                });
            } catch (RejectedExecutionException e) {
                return false;
            }
            group.requestKeyframeAt(to);
            pauseAsked = false;
            return true;
        }
    }

    /** True once the recording was paused: a later {@code started} is a resume. */
    boolean everPaused() {
        return everPaused;
    }

    /**
     * Leaves out media inside a pause. At the cut the fragment in progress is written and uploaded,
     * so a crash while paused keeps everything before it. After a resume, audio waits until the
     * picture restarts on a keyframe, and both go on from there.
     */
    private boolean leftOutByPause(Packet p) throws IOException {
        if (pauses.isEmpty()) return false;
        if (pauses.leftOut(p.micros())) {
            if (!pauseFragmentCut) {
                pauseFragmentCut = true;
                muxer.cutFragment();
                uploadNewBytes();
            }
            return true;
        }
        if (!awaitingKeyframe) return false;
        if (!p.video()) {
            if (heldAudio.size() >= 500) heldAudio.remove(0);
            heldAudio.add(p);
            return true;
        }
        if (!p.key()) return true;
        awaitingKeyframe = false;
        pauses.resumedAt(p.micros());
        pausesJson = pauses.toJson(null);
        muxer.write(shifted(p));
        for (Packet a : heldAudio) if (a.micros() >= p.micros()) muxer.write(shifted(a));
        heldAudio.clear();
        return true;
    }

    /** The packet moved back by the pauses before it: the file's time runs on without them. */
    private Packet shifted(Packet p) {
        long shift = pauses.isEmpty() ? 0 : pauses.shiftMicros(p.micros());
        if (shift == 0) return p;
        long by = Math.round(shift * (double) p.timeBaseDen() / 1_000_000);
        return new Packet(p.video(), p.key(), p.data(), p.pts() - by, p.dts() - by, p.duration(), p.timeBaseDen());
    }

    /** A participant's own Opus packet (from the media thread), for their own audio file, with the room's cut. */
    @Override
    public void participantAudio(String participantId, long sessionMicros, byte[] opus) {
        if (ending() || config.participantId() != null) return; // a participant recording is one voice already
        try {
            thread.execute(() -> {
                if (muxer == null || finished()) return;
                long media = sessionMicros - group.startMicros;
                if (pauses.leftOut(media)) return;
                voices.write(participantId, (sessionMicros - pauses.shiftMicros(media) - fileStartSessionMicros) * 48 / 1000, opus);
            });
        } catch (RejectedExecutionException e) {
            packetsDropped.incrementAndGet();
        }
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
        finishThumbnails();
        if (muxer == null) {
            uploader.shutdownNow();
            deleteLocal();
            fail("no media reached the recording before it ended");
            return;
        }
        setStatus(OutputStatus.STOPPING, null);
        heldAudio.clear();
        pausesJson = pauses.toJson(Instant.now());
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
        participantFiles = voices.finish(store, keyBase);
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
                .put("file", file).put("participantFiles", participantFiles).put("pauses", pausesJson).put("bytesUploaded", bytesUploaded.get())
                .put("spill", new JsonObject().put("bytes", Math.max(0, spillBytes())).put("limitBytes", spillLimitBytes)
                        .put("limitReached", spillLimitReached).put("recording", !overSpillLimit)
                        .put("droppedPackets", spillDroppedPackets)
                        .put("gapSeconds", Math.round((spillGapMicros + (overSpillLimit && group != null
                                ? Math.max(0, lastPacketMicros - spillGapStartMicros) : 0)) / 1000.0) / 1000.0));
    }
}
