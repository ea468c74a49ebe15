package io.roomcast.output.hls;

import io.roomcast.encode.OutputConfig;
import io.roomcast.errors.Refusal;
import io.roomcast.output.Manifest;
import io.roomcast.output.ManifestStore;
import io.roomcast.output.Output;
import io.roomcast.output.OutputStatus;
import io.roomcast.output.Outputs;
import io.roomcast.output.RecoveryThreads;
import io.roomcast.output.Thumbnails;
import io.roomcast.room.Ids;
import io.roomcast.room.Session;
import io.roomcast.storage.ObjectStore;
import io.roomcast.transcribe.CaptionSource;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * HLS streams: started and ended through the API (one per room at a time), their playlists and
 * segments served live from memory and the local folder and from the store after the end, and
 * playlists of streams a crash interrupted closed as VODs.
 *
 * <p>Threads: the API calls come on the event loop; status changes come on each stream's thread.
 */
public final class HlsStreams implements Output.Listener {
    private static final Logger LOG = Logger.getLogger(HlsStreams.class.getName());

    private final Vertx vertx;
    private final Outputs outputs;
    private final ObjectStore store;
    private final ManifestStore manifests;
    private final RecoveryThreads recoveries = new RecoveryThreads();
    private volatile CaptionSource captions = (room, since) -> List.of();

    public HlsStreams(Vertx vertx, Outputs outputs, ObjectStore store, ManifestStore manifests) {
        this.vertx = vertx;
        this.outputs = outputs;
        this.store = store;
        this.manifests = manifests;
    }

    /** A message published to a room: the room's running streams show it if it is on their timedMetadataTopics. */
    public void message(String roomId, String messageId, long sessionMillis, String topic, String message, JsonObject payload) {
        HlsStream h = outputs.find(HlsStream.class, roomId, o -> !o.ending());
        if (h != null) h.message(messageId, sessionMillis, topic, message, payload == null ? null : payload.encode());
    }

    /** Where HLS finds the room's live captions for its WebVTT rendition. */
    public void captionsFrom(CaptionSource source) {
        captions = source;
    }

    /** Starts HLS of the room with a plan from {@link Outputs#resolve}. */
    public JsonObject start(String roomId, OutputConfig cfg, String webhookUrl, Thumbnails.Options thumbnails, boolean lowLatency,
                            List<String> viewerTopics, List<String> timedMetadataTopics) {
        Session s = outputs.admit(roomId, HlsStream.class, running ->
                Refusal.conflict("already_streaming", "room " + roomId + " already has HLS running (" + running.id() + ")"));
        String id = Ids.hex24();
        long startUnixMillis = Instant.parse(s.start()).toEpochMilli();
        HlsStream[] holder = new HlsStream[1];
        HlsStream h;
        try {
            // The encoder's timeline starts when it is created on the media thread; HLS reads it from the group.
            h = new HlsStream(id, roomId, s.sessionId(), cfg, this, store, outputs.settings().dataDir(), startUnixMillis,
                    () -> emit(holder[0], "hls-playable"), webhookUrl, (room, since) -> captions.captions(room, since), thumbnails,
                    lowLatency ? new BlockingReload(vertx, 3_000L * cfg.segmentSeconds()) : null);
        } catch (IOException e) {
            throw Refusal.internal("storage_error", "cannot prepare the local HLS folder");
        }
        holder[0] = h;
        h.topics(viewerTopics, timedMetadataTopics);
        manifests.put(h.toJson());
        emit(h, "hls-starting");
        outputs.launch(h, s, true);
        return api(h.toJson());
    }

    public JsonObject end(String roomId) {
        outputs.requireRoom(roomId);
        HlsStream h = outputs.find(HlsStream.class, roomId, o -> !o.ending());
        if (h == null) throw Refusal.conflict("not_streaming", "room " + roomId + " has no running HLS stream");
        outputs.stop(h);
        JsonObject stopping = api(h.toJson().put("status", OutputStatus.STOPPING.wire()));
        outputs.emit(h.roomId(), h.webhookUrl, "hls-stopping", stopping);
        return stopping;
    }

    public List<JsonObject> list(String roomId) {
        return manifests.list(roomId, null).stream().map(m -> api(m.json())).toList();
    }

    public JsonObject get(String id) {
        Manifest m = manifests.get(id);
        if (m == null) throw Refusal.notFound("HLS stream", id);
        return api(m.json());
    }

    /** The room's running HLS stream (VideoSDK's {@code /v2/hls/{roomId}/active}), or not found. */
    public JsonObject active(String roomId) {
        outputs.requireRoom(roomId);
        HlsStream h = outputs.find(HlsStream.class, roomId, o -> !o.ending());
        if (h == null) throw Refusal.notFound("running HLS stream of room", roomId);
        return api(h.toJson());
    }

    /** The room an HLS stream belongs to (for access checks), or not found. */
    public String roomOf(String id) {
        Manifest m = manifests.get(id);
        if (m == null) throw Refusal.notFound("HLS stream", id);
        return m.roomId();
    }

    /** The API shape, with the stream's URLs relative to this server. */
    private JsonObject api(JsonObject m) {
        String base = "/v2/hls/" + m.getString("id") + "/";
        JsonObject api = new JsonObject().put("id", m.getString("id")).put("roomId", m.getString("roomId"))
                .put("sessionId", m.getString("sessionId")).put("status", m.getString("status"))
                .put("reason", m.getString("reason")).put("createdAt", m.getString("createdAt"))
                .put("start", m.getString("start")).put("end", m.getString("end")).put("config", m.getJsonObject("config"))
                .put("playbackHlsUrl", base + "playback.m3u8").put("livestreamUrl", base + "live.m3u8")
                .put("masterPlaylistUrl", base + "index.m3u8")
                .put("segments", m.getInteger("segments", 0)).put("thumbnails", Thumbnails.api(m.getJsonArray("thumbnails"), store));
        if (m.containsKey("lowLatency")) api.put("lowLatency", m.getJsonObject("lowLatency"));
        api.put("viewerTopics", m.getJsonArray("viewerTopics", new JsonArray()))
                .put("timedMetadataTopics", m.getJsonArray("timedMetadataTopics", new JsonArray()));
        return api;
    }

    /**
     * A file of an HLS stream: playlists from memory while it runs, segments from the local folder,
     * and everything from the store once it ended (the VOD). Null when there is no such file.
     */
    public Future<Buffer> file(String id, String name) {
        return file(id, name, -1, -1);
    }

    /**
     * The same; for a running low-latency stream, {@code live.m3u8} with {@code msn} (and
     * {@code part}) waits until the stream has that segment (part), and so does a part not made yet.
     */
    public Future<Buffer> file(String id, String name, int msn, int part) {
        Manifest m = manifests.get(id);
        if (m == null || !name.matches("(live|playback|index|captions)\\.m3u8|seg-\\d{5}\\.(ts|m4s)|seg-\\d{5}\\.\\d{1,3}\\.m4s"
                + "|init\\.mp4|sub-\\d{5}\\.vtt")) {
            return Future.succeededFuture(null);
        }
        if (outputs.running(id) instanceof HlsStream h && !h.finished() && h.reload != null) {
            Matcher p = PART.matcher(name);
            int perSegment = (int) Math.ceil(h.config().segmentSeconds() / LowLatencyParts.PART_SECONDS);
            if (name.equals("live.m3u8") && msn >= 0) {
                return h.reload.await(msn, part, perSegment).compose(v -> served(h, m, name));
            }
            if (p.matches() && h.part(name) == null) {
                return h.reload.await(Integer.parseInt(p.group(1)), Integer.parseInt(p.group(2)), perSegment)
                        .compose(v -> served(h, m, name));
            }
        }
        return served(outputs.running(id) instanceof HlsStream h ? h : null, m, name);
    }

    private static final Pattern PART = Pattern.compile("seg-(\\d{5})\\.(\\d{1,3})\\.m4s");

    private Future<Buffer> served(HlsStream running, Manifest m, String name) {
        String keyBase = m.json().getString("keyBase");
        if (running != null && !running.finished()) {
            HlsStream h = running;
            byte[] part = h.part(name);
            if (part != null) return Future.succeededFuture(Buffer.buffer(part));
            String text = switch (name) {
                case "live.m3u8" -> h.livePlaylist;
                case "playback.m3u8" -> h.eventPlaylist;
                case "index.m3u8" -> h.master();
                case "captions.m3u8" -> h.captionsPlaylist;
                default -> h.subtitleFiles.get(name);
            };
            if (text != null) return Future.succeededFuture(Buffer.buffer(text));
            if (name.equals("index.m3u8")) {
                // Not a 404: players retry what is unavailable for now and give up on what is not found.
                return Future.failedFuture(Refusal.unavailable("not_playable_yet", "HLS stream " + h.id()
                        + " is starting: its master playlist is served once the first segment and its captions are ready (hls-playable)"));
            }
            if (name.endsWith(".m3u8")) return Future.succeededFuture(null);
            Path local = h.localSegment(name);
            if (local != null) {
                return vertx.fileSystem().readFile(local.toString()).recover(t -> store.get(keyBase + name));
            }
        }
        return store.get(keyBase + name);
    }

    private void emit(HlsStream h, String type) {
        outputs.emit(h.roomId(), h.webhookUrl, type, api(h.toJson()));
    }

    @Override
    public void event(Output output, String webhookType) {
        // HLS has no events of its own
    }

    @Override
    public void changed(Output output, OutputStatus status) {
        HlsStream h = (HlsStream) output;
        manifests.put(h.toJson());
        switch (status) {
            case STARTED -> emit(h, "hls-started");
            case STOPPED -> emit(h, "hls-stopped");
            case FAILED -> emit(h, "hls-failed");
            default -> {
            }
        }
        outputs.settled(h, status);
    }

    public Future<Void> load(Predicate<String> roomIsHere) {
        return manifests.load(roomIsHere, this::recover);
    }

    /** Blocking: the manifests of taken-over rooms; their streams that were running are closed. */
    public void recoverRooms(Set<String> roomIds) throws Exception {
        manifests.loadRooms(roomIds, this::recover);
    }

    public void forgetRoom(String roomId) {
        manifests.forgetFinished(roomId);
    }

    /** Streams a crash interrupted: their event playlist is closed as the VOD (on a thread of its own). */
    private void recover(Predicate<Manifest> which) {
        List<Manifest> interrupted = manifests.all().stream()
                .filter(m -> which.test(m) && !m.status().terminal() && outputs.running(m.id()) == null).toList();
        if (interrupted.isEmpty()) return;
        recoveries.start("roomcast-recover-hls", () -> interrupted.forEach(this::close));
    }

    /** Waits (bounded) for restart recovery to finish; for tests and orderly shutdown. */
    public boolean awaitRecovery(long millis) throws InterruptedException {
        return recoveries.await(millis);
    }

    private void close(Manifest m) {
        try {
            String key = m.json().getString("keyBase") + "playback.m3u8";
            Buffer b = store.get(key).await(60, TimeUnit.SECONDS);
            if (b != null) {
                String closed = HlsPlaylists.closed(b.toString());
                if (!closed.equals(b.toString())) {
                    store.put(key, Buffer.buffer(closed), "application/vnd.apple.mpegurl").await(60, TimeUnit.SECONDS);
                }
            }
            manifests.put(m.json().copy().put("status", (b == null ? OutputStatus.FAILED : OutputStatus.STOPPED).wire())
                    .put("interrupted", true)
                    .put("reason", "the node stopped while it was streaming; the playlist was closed on restart"));
        } catch (Exception e) {
            LOG.log(Level.WARNING, "could not close the interrupted HLS stream " + m.id(), e);
        }
    }
}
