package io.roomcast.output.hls;

import io.roomcast.encode.Muxer;
import io.roomcast.encode.OutputConfig;
import io.roomcast.encode.Packet;
import io.roomcast.output.Output;
import io.roomcast.output.OutputStatus;
import io.roomcast.output.Thumbnails;
import io.roomcast.output.hls.HlsPlaylists.Segment;
import io.roomcast.storage.ObjectStore;
import io.roomcast.storage.Retry;
import io.roomcast.transcribe.Caption;
import io.roomcast.transcribe.CaptionSource;
import io.roomcast.transcribe.Transcript;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * HLS written by Roomcast itself: MPEG-TS segments cut on keyframes (the encoder's keyframe interval
 * is the segment length), a live sliding-window playlist and a full event playlist that becomes the
 * VOD at the end (EXT-X-ENDLIST). Each segment carries EXT-X-PROGRAM-DATE-TIME; TARGETDURATION is
 * never below a rounded EXTINF. Segments and playlists are uploaded to the store as they are made
 * (in order, retried), and served live from the local folder and memory.
 */
final class HlsStream extends Output {
    private static final Logger LOG = Logger.getLogger(HlsStream.class.getName());
    static final int LIVE_WINDOW = 6;
    /**
     * How long after a segment ends its WebVTT is written: a caption is final about a second after its
     * speech, so the captions of a segment are complete by then (the VOD's are rewritten at the end).
     */
    static final long CAPTIONS_SETTLE_MICROS = 1_500_000;

    private final ObjectStore store;
    final Path dir;
    final String keyBase; // hls/{room}/{session}/{id}/
    private final long sessionStartUnixMillis;
    final String webhookUrl;
    private volatile int segmentCount;
    private final ExecutorService uploader;
    private final List<Segment> segments = new ArrayList<>();
    private Muxer segment;
    private long streamStartMicros = -1;
    private long segmentStartMicros;
    private long lastEndMicros;
    private boolean keyRequested;
    private int seq;
    private int targetDuration;
    volatile String livePlaylist;
    volatile String eventPlaylist;
    volatile String captionsPlaylist;
    final Map<String, String> subtitleFiles = new ConcurrentHashMap<>();
    private final Runnable onPlayable;
    /** Set once the master and everything it names can be served: a segment and its captions. */
    private volatile boolean playable;
    private final List<Long> segmentEndMicros = new ArrayList<>();
    private final CaptionSource captionSource;
    private final TreeMap<Long, Caption> captions = new TreeMap<>();
    private int subtitlesWritten;
    /** Low-latency streams only (null otherwise): fMP4 parts, and the requests waiting for them. */
    private LowLatencyParts parts;
    final BlockingReload reload;
    private volatile JsonObject lowLatencyFigures;
    /** Message topics the stream's viewers may publish to (config.viewerTopics of the start). */
    private volatile List<String> viewerTopics = List.of();
    /** Message topics shown in the stream (config.timedMetadataTopics), which its viewers also read. */
    private volatile List<String> timedMetadataTopics = List.of();
    static final int MAX_DATE_RANGES = 1000;
    /** Messages on timedMetadataTopics, shown in the playlists as EXT-X-DATERANGE (added on the event loop). */
    private final List<HlsPlaylists.DateRange> dateRanges = new CopyOnWriteArrayList<>();

    HlsStream(String id, String roomId, String sessionId, OutputConfig config, Listener listener, ObjectStore store,
              Path dataDir, long sessionStartUnixMillis, Runnable onPlayable, String webhookUrl,
              CaptionSource captionSource, Thumbnails.Options thumbnails, BlockingReload reload) throws IOException {
        super("hls", id, roomId, sessionId, config, listener);
        this.store = store;
        this.dir = dataDir.resolve("hls").resolve(id);
        Files.createDirectories(dir);
        this.keyBase = "hls/" + roomId + "/" + sessionId + "/" + id + "/";
        this.sessionStartUnixMillis = sessionStartUnixMillis;
        this.webhookUrl = webhookUrl;
        this.captionSource = captionSource;
        this.targetDuration = config.segmentSeconds();
        this.captionsPlaylist = HlsPlaylists.subtitles(List.of(), 0, targetDuration, false);
        this.onPlayable = onPlayable;
        this.reload = reload;
        keepThumbnails(thumbnails, store, keyBase);
        this.uploader = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "roomcast-hls-upload-" + id);
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public String kind() {
        return "hls";
    }

    @Override
    protected void onPacket(Packet p) throws IOException {
        if (finished()) return;
        long t = p.micros();
        if (streamStartMicros < 0) {
            if (streams.hasVideo() && !(p.video() && p.key())) return;
            streamStartMicros = t;
            if (lowLatency()) parts = new LowLatencyParts(dir.resolve("stream.mp4"), streams, streamStartMicros);
            openSegment(t);
            setStatus(OutputStatus.STARTED, null);
        } else {
            long length = t - segmentStartMicros;
            long target = config.segmentSeconds() * 1_000_000L;
            boolean cut = streams.hasVideo() ? p.video() && p.key() && length >= target - 60_000 : length >= target;
            if (cut) {
                closeSegment(t);
                openSegment(t);
            } else if (parts != null && (p.video() || !streams.hasVideo()) && parts.partDue(t)) {
                cutPart(t);
            } else if (streams.hasVideo() && length > target + 500_000 && !keyRequested) {
                group.requestKeyframe(); // keep segments near their length even after a dropped keyframe
                keyRequested = true;
            }
            settleSubtitles(t);
        }
        if (parts != null) parts.write(p);
        else segment.write(p);
        lastEndMicros = Math.max(lastEndMicros, t + p.duration() * 1_000_000L / p.timeBaseDen());
    }

    private void openSegment(long startMicros) throws IOException {
        seq++;
        segmentStartMicros = startMicros;
        keyRequested = false;
        if (parts != null) {
            parts.segmentStarted(seq, startMicros);
            if (seq > 1) {
                // The closed segment and the new one (with a hint of its first part) are listed together:
                // a playlist that ends on a closed segment without a hint makes hls.js misplace that segment.
                publish(false);
                reload.advanced(new BlockingReload.Edge(seq, 0));
            }
            return;
        }
        // copyts: segment PTS are stream time (0 at the first segment), which the subtitle segments' X-TIMESTAMP-MAP names.
        segment = new Muxer("mpegts", dir.resolve(Segment.name(seq, false)).toString(), streams, Map.of("mpegts_copyts", "1"),
                streamStartMicros);
    }

    private boolean lowLatency() {
        return reload != null;
    }

    /** The wall-clock instant (ms) a point of the stream's timeline shows. */
    private long unixMillis(long micros) {
        return sessionStartUnixMillis + (group.startMicros + micros) / 1000;
    }

    /** Low latency: the part in progress ends before {@code endMicros}, is listed, and waiting requests get it. */
    private void cutPart(long endMicros) throws IOException {
        parts.cutPart(endMicros, unixMillis(parts.partStartMicros()));
        publish(false);
        reload.advanced(new BlockingReload.Edge(seq, parts.openParts()));
    }

    /**
     * Ends the segment in progress. A low-latency stream does not publish here: the boundary is listed
     * with what comes next, the new segment and its hint ({@link #openSegment}) or the end ({@link #finish}).
     */
    private void closeSegment(long endMicros) throws IOException {
        if (parts != null) {
            if (endMicros > parts.partStartMicros()) parts.cutPart(endMicros, unixMillis(parts.partStartMicros()));
            Files.write(dir.resolve(Segment.name(seq, true)), parts.segmentEnded());
        } else {
            Muxer m = segment;
            segment = null;
            m.close();
        }
        double seconds = (endMicros - segmentStartMicros) / 1e6;
        Segment s = new Segment(seq, seconds, Instant.ofEpochMilli(unixMillis(segmentStartMicros)).toString(), parts != null);
        targetDuration = Math.max(targetDuration, (int) Math.round(seconds));
        segments.add(s);
        segmentEndMicros.add(endMicros);
        segmentCount = segments.size();
        boolean first = segments.size() == 1;
        if (parts == null) publish(false);
        uploader.execute(() -> {
            upload(keyBase + s.name(), dir.resolve(s.name()), "video/mp2t");
            uploadPlaylists();
        });
        if (first && parts != null) {
            byte[] init = parts.init();
            uploader.execute(() -> put(keyBase + HlsPlaylists.INIT, Buffer.buffer(init), "video/mp4"));
        }
        if (parts != null) lowLatencyFigures = parts.latency();
    }

    /**
     * Writes the WebVTT of the closed segments that ended {@link #CAPTIONS_SETTLE_MICROS} ago, and stores
     * them; with the first, the stream is playable (the master is served and hls-playable goes out).
     */
    private void settleSubtitles(long nowMicros) {
        int upTo = subtitlesWritten;
        while (upTo < segments.size() && nowMicros - segmentEndMicros.get(upTo) >= CAPTIONS_SETTLE_MICROS) upTo++;
        if (upTo == subtitlesWritten) return;
        List<String[]> subs = subtitles(upTo, false);
        uploader.execute(() -> {
            for (String[] sub : subs) put(keyBase + sub[0], sub[1], sub[0].endsWith(".m3u8") ? "application/vnd.apple.mpegurl" : "text/vtt");
        });
        becamePlayable();
    }

    private void becamePlayable() {
        if (playable) return;
        playable = true;
        onPlayable.run();
    }

    private void publish(boolean ended) {
        eventPlaylist = HlsPlaylists.withDateRanges(HlsPlaylists.media(segments, 0, targetDuration, ended, true), dateRanges);
        int from = Math.max(0, segments.size() - LIVE_WINDOW);
        if (parts != null && !ended) {
            // The segment in progress is the one after the last closed (seq moves on when it opens).
            boolean inProgress = segments.isEmpty() || segments.get(segments.size() - 1).seq() != seq;
            livePlaylist = HlsPlaylists.withDateRanges(parts.livePlaylist(segments, from, targetDuration,
                    inProgress ? Instant.ofEpochMilli(unixMillis(segmentStartMicros)).toString() : null), dateRanges);
        } else {
            livePlaylist = HlsPlaylists.withDateRanges(HlsPlaylists.media(segments, from, targetDuration, ended, false), dateRanges);
        }
    }

    /**
     * Writes the WebVTT segments of video segments [subtitlesWritten, upTo) (all of them again when
     * {@code all}), and the subtitle playlist; returns [name, text] pairs to store.
     */
    private List<String[]> subtitles(int upTo, boolean all) {
        for (Caption c : captionSource.captions(roomId, -1L)) {
            if (c.isFinal()) captions.put(c.seq(), c);
        }
        List<String[]> out = new ArrayList<>();
        int from = all ? 0 : subtitlesWritten;
        long streamStartSessionMs = (group.startMicros + streamStartMicros) / 1000;
        double at = 0;
        for (int i = 0; i < upTo; i++) {
            Segment s = segments.get(i);
            double end = at + s.seconds();
            if (i >= from) {
                StringBuilder vtt = new StringBuilder("WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n\n");
                for (Caption c : captions.values()) {
                    double cs = (c.start() - streamStartSessionMs) / 1000.0;
                    double ce = (c.end() - streamStartSessionMs) / 1000.0;
                    if (ce <= at || cs >= end) continue;
                    vtt.append(Transcript.time(cs, '.')).append(" --> ").append(Transcript.time(Math.max(ce, cs + 0.5), '.')).append('\n')
                            .append("<v ").append(Transcript.escape(c.participantName() == null ? "" : c.participantName())).append('>').append(Transcript.escape(c.text())).append("\n\n");
                }
                String name = s.subtitleName();
                out.add(new String[] {name, vtt.toString()});
                subtitleFiles.put(name, vtt.toString());
            }
            at = end;
        }
        subtitlesWritten = Math.max(subtitlesWritten, upTo);
        captionsPlaylist = HlsPlaylists.subtitles(segments, subtitlesWritten, targetDuration, all);
        out.add(new String[] {"captions.m3u8", captionsPlaylist});
        return out;
    }

    /**
     * The master playlist with the captions as a WebVTT subtitle rendition: the event/VOD playlist
     * as its variant, or, for a running low-latency stream, the live playlist with its parts. Null
     * until the stream is playable, so a player never meets a 404 or an empty playlist that the master
     * names (the captions playlist is there, empty, from the start, for players that guess the URL).
     */
    String master() {
        if (!playable) return null;
        return master(lowLatency() && !finished() ? "live.m3u8" : "playback.m3u8");
    }

    private String master(String variant) {
        return HlsPlaylists.master(streams.hasVideo(), config.width(), config.height(), (config.videoKbps() + config.audioKbps()) * 1100L, variant);
    }

    /**
     * A message published to the room: on one of config.timedMetadataTopics it is listed in the
     * playlists from their next publish, at {@code sessionMillis} on the session clock (the clock of
     * the segments' program dates), so it shows at the moment of the stream it was sent in.
     */
    void message(String messageId, long sessionMillis, String topic, String message, String payloadJson) {
        if (finished() || !timedMetadataTopics.contains(topic) || dateRanges.size() >= MAX_DATE_RANGES) return;
        dateRanges.add(new HlsPlaylists.DateRange(messageId, Instant.ofEpochMilli(sessionStartUnixMillis + sessionMillis),
                topic, message, payloadJson));
    }

    void topics(List<String> viewerTopics, List<String> timedMetadataTopics) {
        this.viewerTopics = List.copyOf(viewerTopics);
        this.timedMetadataTopics = List.copyOf(timedMetadataTopics);
    }

    /** A part or the init segment of a low-latency stream, from memory; null when not there (or not low latency). */
    byte[] part(String name) {
        LowLatencyParts p = parts;
        return p == null ? null : p.file(name);
    }

    private void uploadPlaylists() {
        String live = livePlaylist;
        String event = eventPlaylist;
        if (live != null) put(keyBase + "live.m3u8", live, "application/vnd.apple.mpegurl");
        if (event != null) put(keyBase + "playback.m3u8", event, "application/vnd.apple.mpegurl");
        if (!masterStored && streams != null) {
            put(keyBase + "index.m3u8", master("playback.m3u8"), "application/vnd.apple.mpegurl"); // what plays after the end
            masterStored = true;
        }
    }

    private boolean masterStored;

    private void put(String key, String text, String type) {
        put(key, Buffer.buffer(text), type);
    }

    private void put(String key, Buffer bytes, String type) {
        Retry.untilDone("HLS " + id + ": " + key, () -> store.put(key, bytes, type).await(60, TimeUnit.SECONDS));
    }

    private void upload(String key, Path file, String type) {
        Retry.untilDone("HLS " + id + ": " + key, () -> store.put(key, Buffer.buffer(Files.readAllBytes(file)), type).await(60, TimeUnit.SECONDS));
    }

    /** The local file of a segment while the stream runs, else null (then the store serves it). */
    Path localSegment(String name) {
        Path p = dir.resolve(name);
        return name.matches("seg-\\d{5}\\.(ts|m4s)") && Files.exists(p) ? p : null;
    }

    @Override
    protected void finish() throws Exception {
        finishThumbnails();
        if (segment != null || parts != null && parts.openParts() + (lastEndMicros > parts.partStartMicros() ? 1 : 0) > 0) {
            closeSegment(Math.max(lastEndMicros, segmentStartMicros + 1000));
        }
        if (parts != null) {
            parts.close();
            parts = null;
        }
        publish(true);
        if (reload != null) reload.close(); // requests still waiting get the ended playlist
        List<String[]> subs = segments.isEmpty() ? List.of() : subtitles(segments.size(), true);
        uploader.execute(() -> {
            for (String[] sub : subs) put(keyBase + sub[0], sub[1], sub[0].endsWith(".m3u8") ? "application/vnd.apple.mpegurl" : "text/vtt");
            uploadPlaylists();
        });
        if (!segments.isEmpty()) becamePlayable(); // ended within its first segment's settling: playable as the VOD
        uploader.shutdown();
        uploader.awaitTermination(30, TimeUnit.MINUTES);
        if (segments.isEmpty()) {
            fail("no media reached the stream before it ended");
        } else {
            setStatus(OutputStatus.STOPPED, null);
        }
        try (var files = Files.list(dir)) {
            files.forEach(f -> f.toFile().delete());
        }
        Files.deleteIfExists(dir);
    }

    @Override
    public JsonObject toJson() {
        JsonObject j = super.toJson().put("kind", "hls").put("keyBase", keyBase).put("segments", segmentCount).put("webhookUrl", webhookUrl)
                .put("viewerTopics", new JsonArray(new ArrayList<>(viewerTopics)))
                .put("timedMetadataTopics", new JsonArray(new ArrayList<>(timedMetadataTopics)));
        if (lowLatency()) {
            j.put("lowLatency", new JsonObject().put("partTargetSeconds", LowLatencyParts.PART_TARGET)
                    .put("ingestToPlayable", lowLatencyFigures));
        }
        return j;
    }
}
