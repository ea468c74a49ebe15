package io.roomcast.output.hls;

import io.roomcast.encode.Muxer;
import io.roomcast.encode.Packet;
import io.roomcast.output.hls.HlsPlaylists.Part;
import io.roomcast.output.hls.HlsPlaylists.Segment;
import io.vertx.core.json.JsonObject;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The media of a low-latency HLS stream: one fragmented-MP4 muxer for the whole stream, whose
 * header is the init segment and which is cut into a fragment (a part) every {@link #PART_SECONDS}
 * on a picture's time, a segment being the parts from one keyframe to the next. Parts of the last
 * segments are kept in memory to be served at once; when a part is listed, how long after its
 * first picture was captured is recorded (ingest to playable). Used on the stream's thread; the
 * muxer is closed once by {@link #close}.
 */
final class LowLatencyParts implements AutoCloseable {
    /** Parts are cut at 0.4 s (10 pictures at 25 fps); the playlist's PART-TARGET leaves room for a late picture. */
    static final double PART_SECONDS = 0.4;
    static final double PART_TARGET = 0.5;
    /** Segments (before the one in progress) whose parts the live playlist lists and memory keeps. */
    static final int SEGMENTS_WITH_PARTS = 2;

    private final Path file;
    private final Muxer muxer;
    private final byte[] init;
    private long offset;
    private final Map<String, byte[]> bytes = new ConcurrentHashMap<>();
    private final List<List<Part>> partsOfLast = new ArrayList<>();
    private List<Part> open = new ArrayList<>();
    private final ByteArrayOutputStream segment = new ByteArrayOutputStream();
    private int seq;
    private long partStartMicros;
    private long[] latencies = new long[0];
    private int latencyCount;

    LowLatencyParts(Path file, Muxer.Streams streams, long streamStartMicros) throws IOException {
        this.file = file;
        Map<String, String> opts = Map.of("movflags", "+empty_moov+default_base_moof+frag_custom");
        this.muxer = new Muxer("mp4", file.toString(), streams, opts, streamStartMicros);
        muxer.flush();
        this.offset = Files.size(file);
        this.init = read(0, offset);
    }

    byte[] init() {
        return init;
    }

    /** A new segment begins at {@code micros} (on a keyframe, or at any audio frame without video). */
    void segmentStarted(int seq, long micros) {
        this.seq = seq;
        this.partStartMicros = micros;
        open = new ArrayList<>();
        segment.reset();
    }

    long partStartMicros() {
        return partStartMicros;
    }

    /** Whether a part ends before a picture (or, without video, a packet) at {@code micros}. */
    boolean partDue(long micros) {
        return micros - partStartMicros >= PART_SECONDS * 1_000_000 - 20_000;
    }

    void write(Packet p) throws IOException {
        muxer.write(p);
    }

    /**
     * Ends the part in progress at {@code endMicros}; it is playable from now, which is recorded
     * against the instant its first picture was captured.
     */
    Part cutPart(long endMicros, long captureUnixMillisOfStart) throws IOException {
        muxer.cutFragment();
        long size = Files.size(file);
        byte[] b = read(offset, size);
        offset = size;
        Part part = new Part(seq, open.size(), (endMicros - partStartMicros) / 1e6, open.isEmpty());
        bytes.put(part.name(), b);
        segment.write(b);
        open.add(part);
        partStartMicros = endMicros;
        recordLatency(System.currentTimeMillis() - captureUnixMillisOfStart);
        return part;
    }

    /** The segment in progress is complete: its bytes (its parts one after another). */
    byte[] segmentEnded() {
        partsOfLast.add(open);
        while (partsOfLast.size() > SEGMENTS_WITH_PARTS) {
            for (Part p : partsOfLast.remove(0)) bytes.remove(p.name());
        }
        open = new ArrayList<>();
        return segment.toByteArray();
    }

    /** Parts in the segment in progress so far. */
    int openParts() {
        return open.size();
    }

    String livePlaylist(List<Segment> segments, int from, int targetDuration, String openStart) {
        return HlsPlaylists.lowLatency(segments, from, targetDuration, PART_TARGET, partsOfLast, seq, openStart, open);
    }

    /** A part in memory, the init segment, or null. */
    byte[] file(String name) {
        if (name.equals(HlsPlaylists.INIT)) return init;
        return bytes.get(name);
    }

    private void recordLatency(long ms) {
        if (latencyCount == latencies.length) latencies = Arrays.copyOf(latencies, Math.max(64, latencyCount * 2));
        latencies[latencyCount++] = ms;
    }

    /** Ingest-to-playable of the parts so far: {parts, p50Ms, p95Ms, maxMs}. */
    JsonObject latency() {
        long[] sorted = Arrays.copyOf(latencies, latencyCount);
        Arrays.sort(sorted);
        JsonObject j = new JsonObject().put("parts", latencyCount);
        if (latencyCount == 0) return j;
        return j.put("p50Ms", sorted[latencyCount / 2]).put("p95Ms", sorted[Math.min(latencyCount - 1, latencyCount * 95 / 100)])
                .put("maxMs", sorted[latencyCount - 1]);
    }

    private byte[] read(long from, long to) throws IOException {
        byte[] b = new byte[(int) (to - from)];
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            f.seek(from);
            f.readFully(b);
        }
        return b;
    }

    @Override
    public void close() throws IOException {
        muxer.close();
        Files.deleteIfExists(file);
    }
}
