package io.roomcast.output;

import io.micrometer.core.instrument.MeterRegistry;
import io.roomcast.api.ApiException;
import io.roomcast.encode.EncodeGroup;
import io.roomcast.encode.OutputConfig;
import io.roomcast.encode.Presets;
import io.roomcast.encode.Remux;
import io.roomcast.events.Events;
import io.roomcast.ingest.MediaSink;
import io.roomcast.ingest.RtpIngest;
import io.roomcast.mix.AudioMixer;
import io.roomcast.mix.Layout;
import io.roomcast.mix.VideoCompositor;
import io.roomcast.mix.VideoInputs;
import io.roomcast.room.Ids;
import io.roomcast.room.Room;
import io.roomcast.room.RoomService;
import io.roomcast.room.RoomService.TrackBinding;
import io.roomcast.room.Session;
import io.roomcast.room.Track;
import io.roomcast.storage.ObjectStore;
import io.roomcast.storage.Persister;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.bytedeco.ffmpeg.avutil.AVFrame;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The outputs of every room: recordings, RTMP pushes and HLS streams, started and ended through the
 * API, fed by one encoder per distinct config per session (encode once, mux many).
 *
 * <p>Threads: API calls arrive on the event loop and only register, persist and post work to the
 * session's media thread; the media thread composes pictures and hands them and the audio mix to
 * the encoders ({@link EncodeGroup}, a thread each); each output muxes on its own thread. State
 * reaches the store as JSON manifests ({@code meta/recordings|livestreams|hls/{id}.json}) so a
 * restarted node lists what existed and finalizes recordings a crash interrupted.
 */
public final class OutputService implements MediaSink, AudioMixer.Listener {
    private static final Logger LOG = Logger.getLogger(OutputService.class.getName());
    private static final Set<String> TERMINAL = Set.of("stopped", "failed");
    private static final long START_TIMEOUT_MS = 20_000;

    public record Settings(Path dataDir, String videoEncoder, long mixDelayMs, long rtmpConnectTimeoutMs,
                           int maxOutputsPerRoom, int maxOutputsPerNode, int maxRtmpDestinations, long maxSpillBytesPerRecording) {
    }

    private final Vertx vertx;
    private final RoomService rooms;
    private final RtpIngest ingest;
    private final AudioMixer mixer;
    private final Events events;
    private final ObjectStore store;
    private final Persister persister;
    private final Presets presets;
    private final Settings settings;

    /** Running outputs by id (RTMP pushes by their own id; livestreams group them). */
    private final Map<String, Output> live = new ConcurrentHashMap<>();
    private final Map<String, Livestream> livestreams = new ConcurrentHashMap<>();
    /** Every output's last known manifest by id, including finished ones and those of earlier runs. */
    private final Map<String, JsonObject> recordings = new ConcurrentHashMap<>();
    private final Map<String, JsonObject> livestreamRecords = new ConcurrentHashMap<>();
    private final Map<String, JsonObject> hlsRecords = new ConcurrentHashMap<>();
    private final Map<String, LayoutState> layouts = new ConcurrentHashMap<>();
    /** Per session, confined to its media thread. */
    private final Map<String, Stage> stages = new ConcurrentHashMap<>();
    private final AtomicLong framesEncoded = new AtomicLong();
    private final AtomicLong framesDropped = new AtomicLong();
    private final AtomicLong rtmpReconnects = new AtomicLong();
    private volatile java.util.function.Consumer<JsonObject> onTranscribe = j -> { };
    private volatile java.util.function.BiFunction<String, Long, List<io.roomcast.transcribe.Caption>> captions =
            (room, since) -> List.of();

    /** Where HLS finds the room's live captions for its WebVTT rendition. */
    public void captionsFrom(java.util.function.BiFunction<String, Long, List<io.roomcast.transcribe.Caption>> source) {
        captions = source;
    }

    /** Called with a recording (API shape) that finished and asked for {@code transcription.enabled}. */
    public void onRecordingToTranscribe(java.util.function.Consumer<JsonObject> c) {
        onTranscribe = c;
    }

    public OutputService(Vertx vertx, RoomService rooms, RtpIngest ingest, AudioMixer mixer, Events events,
                         ObjectStore store, Presets presets, Settings settings, MeterRegistry registry) {
        this.vertx = vertx;
        this.rooms = rooms;
        this.ingest = ingest;
        this.mixer = mixer;
        this.events = events;
        this.store = store;
        this.persister = new Persister(store);
        this.presets = presets;
        this.settings = settings;
        mixer.addListener(this);
        for (String kind : List.of("recording", "rtmp", "hls")) {
            registry.gauge("roomcast_outputs_running", io.micrometer.core.instrument.Tags.of("kind", kind), live,
                    m -> m.values().stream().filter(o -> kindOf(o).equals(kind)).count());
        }
        registry.gauge("roomcast_encoders_running", stages, m -> m.values().stream().mapToInt(s -> s.comps.size()).sum());
        io.micrometer.core.instrument.FunctionCounter.builder("roomcast_encode_frames", this, s -> s.sumGroups(true))
                .description("pictures encoded").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("roomcast_encode_frames_dropped", this, s -> s.sumGroups(false))
                .description("pictures not composed or encoded in time").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("roomcast_rtmp_reconnects", this,
                s -> s.rtmpReconnects.get() + s.live.values().stream().filter(o -> o instanceof RtmpPush)
                        .mapToLong(o -> ((RtmpPush) o).reconnects.get()).sum()).register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("roomcast_recording_bytes_uploaded", this,
                s -> s.live.values().stream().filter(o -> o instanceof Recording)
                        .mapToLong(o -> ((Recording) o).bytesUploaded.get()).sum()).register(registry);
    }

    private static String kindOf(Output o) {
        return o instanceof Recording ? "recording" : o instanceof RtmpPush ? "rtmp" : "hls";
    }

    private double sumGroups(boolean encoded) {
        long live = 0;
        for (Stage s : stages.values()) {
            for (Comp c : s.comps.values()) live += encoded ? c.group.framesEncoded.get() : c.group.framesDropped.get();
        }
        return (encoded ? framesEncoded.get() : framesDropped.get()) + live;
    }

    // ================= media thread =================

    private record Comp(EncodeGroup group, VideoCompositor compositor) {
    }

    private final class Stage {
        final String roomId;
        final String sessionId;
        final long sessionStartUnixMicros;
        final VideoInputs inputs = new VideoInputs();
        final Map<OutputConfig, Comp> comps = new HashMap<>();
        List<RoomService.Present> present = List.of();
        long presentAt = Long.MIN_VALUE / 2; // far in the past, without overflow in "mix - presentAt"
        final Map<OutputConfig, Long> audioUntil = new HashMap<>();

        Stage(String roomId, String sessionId, long sessionStartUnixMicros) {
            this.roomId = roomId;
            this.sessionId = sessionId;
            this.sessionStartUnixMicros = sessionStartUnixMicros;
        }

        long mixMicros() {
            return System.currentTimeMillis() * 1000 - sessionStartUnixMicros - settings.mixDelayMs() * 1000;
        }

        void close() {
            for (Comp c : comps.values()) closeComp(c);
            comps.clear();
            inputs.close();
        }
    }

    private void closeComp(Comp c) {
        framesEncoded.addAndGet(c.group.framesEncoded.get());
        framesDropped.addAndGet(c.group.framesDropped.get());
        c.compositor.close();
        c.group.close();
    }

    /** Pictures are needed while the session has an output with video (audio-only outputs need none). */
    @Override
    public boolean wantsVideo(String sessionId) {
        Stage s = stages.get(sessionId);
        if (s == null) return false;
        for (OutputConfig c : s.comps.keySet()) if (!c.audioOnly()) return true;
        return false;
    }

    @Override
    public void video(TrackBinding track, long sessionMicros, AVFrame frame) {
        Stage s = stages.get(track.sessionId());
        if (s != null) s.inputs.add(feedKey(track.participantId(), track.track()), sessionMicros, frame);
    }

    @Override
    public void encodedAudio(TrackBinding track, long sessionMicros, byte[] opus) {
        if (!stages.containsKey(track.sessionId())) return;
        for (Output o : live.values()) {
            if (o instanceof Recording r && r.sessionId.equals(track.sessionId())) {
                r.participantAudio(track.participantId(), sessionMicros, opus);
            }
        }
    }

    private static String feedKey(String participantId, Track t) {
        return participantId + "/" + ("screen".equals(t.source()) ? "screen" : "camera");
    }

    @Override
    public void mixed(String roomId, String sessionId, long startMicros, short[] pcm) {
        Stage s = stages.get(sessionId);
        if (s == null) return;
        for (Map.Entry<OutputConfig, Comp> e : s.comps.entrySet()) {
            e.getValue().group.submitAudio(startMicros, pcm);
            s.audioUntil.merge(e.getKey(), startMicros + (long) pcm.length * 1_000_000 / AudioMixer.RATE, Math::max);
        }
    }

    private static final short[] SILENCE = new short[AudioMixer.FRAME];

    @Override
    public void tick(String roomId, String sessionId, long nowMicros) {
        Stage s = stages.get(sessionId);
        if (s == null) return;
        long mix = nowMicros - settings.mixDelayMs() * 1000;
        if (mix - s.presentAt > 250_000 || mix < s.presentAt) {
            s.present = rooms.present(sessionId);
            s.presentAt = mix;
        }
        for (Map.Entry<OutputConfig, Comp> e : s.comps.entrySet()) {
            OutputConfig cfg = e.getKey();
            Comp c = e.getValue();
            // Silence where nobody sent audio: the file's audio never has holes.
            long until = s.audioUntil.getOrDefault(cfg, c.group.startMicros);
            while (until + 40_000 <= mix) {
                c.group.submitAudio(until, SILENCE);
                until += 20_000;
            }
            s.audioUntil.put(cfg, until);
            if (!cfg.audioOnly()) {
                c.group.skipLateFrames(mix, 1_000_000);
                while (c.group.nextFrameMicros() <= mix) {
                    long at = c.group.nextFrameMicros();
                    AVFrame canvas = c.group.borrowCanvas();
                    if (canvas == null) continue;
                    List<Layout.Tile> tiles = Layout.tiles(layoutType(roomId, cfg), cfg.gridSize(), cfg.width(), cfg.height(),
                            feeds(s, cfg));
                    c.compositor.compose(canvas, at, 500_000 / cfg.fps(), tiles, s.inputs);
                    c.group.submitPicture(canvas);
                }
            }
            c.group.flush();
        }
        s.inputs.prune(mix - 200_000);
    }

    private String layoutType(String roomId, OutputConfig cfg) {
        LayoutState l = layouts.get(roomId);
        return l != null && l.type != null ? l.type : cfg.layout();
    }

    /** Feeds by priority: screen shares, then the pinned or speaking participant, then join order. */
    private List<Layout.Feed> feeds(Stage s, OutputConfig cfg) {
        LayoutState l = layouts.get(s.roomId);
        String first = null;
        if (cfg.priority().equals("PIN") && l != null && l.pin != null) first = l.pin;
        if (first == null) first = l != null && l.activeSpeaker != null ? l.activeSpeaker : mixer.activeSpeaker(s.sessionId);
        if (first == null && l != null && l.pin != null) first = l.pin;
        List<Layout.Feed> screens = new ArrayList<>();
        List<Layout.Feed> cams = new ArrayList<>();
        for (RoomService.Present p : s.present) {
            for (Track t : p.tracks()) {
                if (t.kind().equals("video") && "screen".equals(t.source())) {
                    screens.add(new Layout.Feed(p.participantId(), p.name(), "screen"));
                }
            }
            // Everyone has a camera tile; without a camera track (or pictures) it shows the placeholder.
            Layout.Feed f = new Layout.Feed(p.participantId(), p.name(), "camera");
            if (p.participantId().equals(first)) cams.add(0, f);
            else cams.add(f);
        }
        screens.addAll(cams);
        return screens;
    }

    @Override
    public void sessionClosed(String roomId, String sessionId) {
        Stage s = stages.remove(sessionId);
        for (Output o : live.values()) {
            if (o.sessionId.equals(sessionId)) {
                if (s != null) {
                    Comp c = s.comps.get(o.config);
                    if (c != null) c.group.detach(o);
                }
                o.end();
            }
        }
        if (s != null) s.close();
    }

    /** On the media thread: joins the output to its encoder, creating encoder and compositor when new. */
    private void attach(Output o, long sessionStartUnixMicros) {
        if (o.ending()) return;
        Stage s = stages.computeIfAbsent(o.sessionId, id -> new Stage(o.roomId, id, sessionStartUnixMicros));
        Comp c = s.comps.get(o.config);
        if (c == null) {
            long start = Math.floorDiv(s.mixMicros(), 20_000) * 20_000;
            EncodeGroup g = new EncodeGroup(o.roomId, o.config, start, settings.videoEncoder());
            c = new Comp(g, new VideoCompositor(o.config.width(), o.config.height(), o.config.theme()));
            s.comps.put(o.config, c);
            s.audioUntil.put(o.config, start);
        }
        o.begin(c.group);
    }

    /** On the media thread: leaves the encoder (closing it when last), then ends the output. */
    private void detach(Output o) {
        Stage s = stages.get(o.sessionId);
        if (s != null) {
            Comp c = s.comps.get(o.config);
            if (c != null && c.group.detach(o)) {
                s.comps.remove(o.config);
                s.audioUntil.remove(o.config);
                closeComp(c);
            }
            if (s.comps.isEmpty()) {
                stages.remove(o.sessionId);
                s.close();
            }
        }
        o.end();
    }

    private void stopOutput(Output o) {
        if (!ingest.runOnMediaThread(o.roomId, o.sessionId, () -> detach(o))) o.end();
    }

    // ================= API =================

    private static final class LayoutState {
        volatile String pin;
        volatile String activeSpeaker;
        volatile String type;
    }

    private Session ongoing(String roomId) {
        rooms.room(roomId);
        Session s = rooms.activeSession(roomId);
        if (s == null) {
            throw ApiException.conflict("no_session", "room " + roomId + " has no ongoing session: outputs start once a participant has joined");
        }
        return s;
    }

    private OutputConfig resolve(String preset, JsonObject config) {
        try {
            return presets.resolve(preset, config);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    private void checkLimits(String roomId, int adding) {
        long inRoom = live.values().stream().filter(o -> o.roomId.equals(roomId)).count();
        if (inRoom + adding > settings.maxOutputsPerRoom()) {
            throw new ApiException(429, "too_many_outputs", "room " + roomId + " already runs " + inRoom
                    + " outputs (limits.maxOutputsPerRoom = " + settings.maxOutputsPerRoom() + ")");
        }
        if (live.size() + adding > settings.maxOutputsPerNode()) {
            throw new ApiException(429, "too_many_outputs", "this node already runs " + live.size()
                    + " outputs (limits.maxOutputsPerNode = " + settings.maxOutputsPerNode() + ")");
        }
    }

    private void launch(Output o, Session s) {
        live.put(o.id, o);
        long startUnixMicros = Instant.parse(s.start()).toEpochMilli() * 1000;
        if (!ingest.runOnMediaThread(o.roomId, o.sessionId, () -> attach(o, startUnixMicros))) {
            live.remove(o.id);
            o.fail("the session ended before the output could start");
            o.end();
            return;
        }
        vertx.setTimer(START_TIMEOUT_MS, t -> {
            if (o.status.equals("starting") && !(o instanceof RtmpPush)) {
                o.fail("no media within " + START_TIMEOUT_MS / 1000 + " s of the start");
                stopOutput(o);
            }
        });
    }

    // ---- recordings ----

    public JsonObject startRecording(String roomId, String preset, JsonObject config, String webhookUrl, String awsDirPath,
                                     boolean transcribe) {
        OutputConfig cfg = resolve(preset, config);
        Session s = ongoing(roomId);
        for (Output o : live.values()) {
            if (o instanceof Recording && o.roomId.equals(roomId) && !o.ending()) {
                throw ApiException.conflict("already_recording", "room " + roomId + " is already being recorded (" + o.id + ")");
            }
        }
        checkLimits(roomId, 1);
        Recording r;
        try {
            r = new Recording(Ids.hex24(), roomId, s.sessionId(), cfg, listener, store, settings.dataDir(),
                    awsDirPath, webhookUrl, transcribe, settings.maxSpillBytesPerRecording());
        } catch (IOException e) {
            throw new ApiException(500, "storage_error", "cannot prepare the local recording folder");
        }
        recordings.put(r.id, r.toJson());
        persist(r);
        emit(r, "recording-starting", recordingData(r.toJson()));
        launch(r, s);
        return recordingJson(r.toJson());
    }

    public JsonObject endRecording(String roomId) {
        rooms.room(roomId);
        for (Output o : live.values()) {
            if (o instanceof Recording r && r.roomId.equals(roomId) && !r.ending()) {
                stopOutput(r);
                return recordingJson(r.toJson().put("status", "stopping"));
            }
        }
        throw ApiException.conflict("not_recording", "room " + roomId + " has no running recording");
    }

    public List<JsonObject> recordings(String roomId, String sessionId) {
        return recordings.values().stream()
                .filter(j -> roomId == null || roomId.equals(j.getString("roomId")))
                .filter(j -> sessionId == null || sessionId.equals(j.getString("sessionId")))
                .sorted(Comparator.comparing((JsonObject j) -> j.getString("createdAt", "")).reversed())
                .map(this::recordingJson).toList();
    }

    public JsonObject recording(String id) {
        JsonObject j = Ids.isSafe(id) ? recordings.get(id) : null;
        if (j != null && live.get(id) instanceof Recording r) j = r.toJson(); // live figures (spill)
        if (j == null) throw ApiException.notFound("recording", id);
        return recordingJson(j);
    }

    /** The API shape: the manifest without internals, with a fresh presigned fileUrl. */
    private JsonObject recordingJson(JsonObject m) {
        JsonObject file = m.getJsonObject("file");
        if (file != null) file = file.copy().put("fileUrl", store.presignGet(file.getString("filePath")));
        return new JsonObject().put("id", m.getString("id")).put("roomId", m.getString("roomId"))
                .put("sessionId", m.getString("sessionId")).put("status", m.getString("status"))
                .put("reason", m.getString("reason")).put("interrupted", m.getBoolean("interrupted", false))
                .put("createdAt", m.getString("createdAt")).put("start", m.getString("start")).put("end", m.getString("end"))
                .put("config", m.getJsonObject("config")).put("transcription", m.getJsonObject("transcription"))
                .put("file", file).put("participantFiles", m.getJsonArray("participantFiles"))
                .put("spill", m.getJsonObject("spill"));
    }

    private JsonObject recordingData(JsonObject m) {
        JsonObject data = recordingJson(m);
        data.remove("config");
        return data;
    }

    // ---- livestreams (RTMP) ----

    private final class Livestream {
        final String id;
        final String roomId;
        final String sessionId;
        final String webhookUrl;
        final String createdAt = Instant.now().toString();
        final List<RtmpPush> pushes = new ArrayList<>();
        volatile boolean announcedStart;
        volatile boolean announcedEnd;

        Livestream(String id, String roomId, String sessionId, String webhookUrl) {
            this.id = id;
            this.roomId = roomId;
            this.sessionId = sessionId;
            this.webhookUrl = webhookUrl;
        }

        String status() {
            if (pushes.stream().allMatch(Output::finished)) {
                return pushes.stream().anyMatch(p -> p.status.equals("stopped")) ? "stopped" : "failed";
            }
            if (pushes.stream().anyMatch(p -> p.status.equals("started"))) return "started";
            if (pushes.stream().anyMatch(p -> p.status.equals("reconnecting"))) return "reconnecting";
            return "starting";
        }

        JsonObject toJson() {
            JsonArray outs = new JsonArray();
            String start = null;
            String end = null;
            for (RtmpPush p : pushes) {
                outs.add(new JsonObject().put("id", p.id).put("url", io.roomcast.encode.Muxer.redact(p.url))
                        .put("status", p.status).put("reason", p.reason).put("reconnects", p.reconnects.get())
                        .put("start", p.startedAt).put("end", p.endedAt).put("packetsDropped", p.packetsDropped.get()));
                if (p.startedAt != null && (start == null || p.startedAt.compareTo(start) < 0)) start = p.startedAt;
                if (p.endedAt != null && (end == null || p.endedAt.compareTo(end) > 0)) end = p.endedAt;
            }
            String status = status();
            return new JsonObject().put("id", id).put("roomId", roomId).put("sessionId", sessionId).put("status", status)
                    .put("createdAt", createdAt).put("start", start).put("end", TERMINAL.contains(status) ? end : null)
                    .put("config", pushes.isEmpty() ? null : pushes.get(0).config.toJson())
                    .put("webhookUrl", webhookUrl).put("outputs", outs);
        }
    }

    public JsonObject startLivestream(String roomId, List<String> urls, String preset, JsonObject config, String webhookUrl) {
        OutputConfig cfg = resolve(preset, config);
        Session s = ongoing(roomId);
        if (urls.isEmpty()) throw ApiException.badRequest("outputs must name at least one RTMP destination");
        if (urls.size() > settings.maxRtmpDestinations()) {
            throw ApiException.badRequest("outputs may name at most " + settings.maxRtmpDestinations() + " destinations");
        }
        checkLimits(roomId, urls.size());
        Livestream ls = new Livestream(Ids.hex24(), roomId, s.sessionId(), webhookUrl);
        for (String url : urls) {
            ls.pushes.add(new RtmpPush(Ids.hex24(), ls.id, roomId, s.sessionId(), cfg, listener, url,
                    settings.rtmpConnectTimeoutMs()));
        }
        livestreams.put(ls.id, ls);
        livestreamRecords.put(ls.id, ls.toJson());
        persistLivestream(ls);
        emit(roomId, ls.webhookUrl, "livestream-starting", publicLivestream(ls.toJson()));
        for (RtmpPush p : ls.pushes) launch(p, s);
        return publicLivestream(ls.toJson());
    }

    public JsonObject endLivestream(String roomId) {
        rooms.room(roomId);
        List<JsonObject> ended = new ArrayList<>();
        for (Livestream ls : livestreams.values()) {
            if (!ls.roomId.equals(roomId) || ls.announcedEnd) continue;
            boolean any = false;
            for (RtmpPush p : ls.pushes) {
                if (!p.ending()) {
                    stopOutput(p);
                    any = true;
                }
            }
            if (any) ended.add(publicLivestream(ls.toJson()).put("status", "stopping"));
        }
        if (ended.isEmpty()) throw ApiException.conflict("not_streaming", "room " + roomId + " has no running livestream");
        return ended.get(0);
    }

    public List<JsonObject> livestreams(String roomId) {
        return livestreamRecords.values().stream()
                .filter(j -> roomId == null || roomId.equals(j.getString("roomId")))
                .sorted(Comparator.comparing((JsonObject j) -> j.getString("createdAt", "")).reversed())
                .map(this::publicLivestream).toList();
    }

    private JsonObject publicLivestream(JsonObject j) {
        JsonObject c = j.copy();
        c.remove("webhookUrl");
        return c;
    }

    // ---- HLS ----

    public JsonObject startHls(String roomId, String preset, JsonObject config, String webhookUrl) {
        OutputConfig cfg = resolve(preset, config);
        Session s = ongoing(roomId);
        for (Output o : live.values()) {
            if (o instanceof HlsStream && o.roomId.equals(roomId) && !o.ending()) {
                throw ApiException.conflict("already_streaming", "room " + roomId + " already has HLS running (" + o.id + ")");
            }
        }
        checkLimits(roomId, 1);
        String id = Ids.hex24();
        long startUnixMillis = Instant.parse(s.start()).toEpochMilli();
        HlsStream[] holder = new HlsStream[1];
        HlsStream h;
        try {
            // The encoder's timeline starts when it is created on the media thread; HLS reads it from the group.
            h = new HlsStream(id, roomId, s.sessionId(), cfg, listener, store, settings.dataDir(), startUnixMillis,
                    () -> emit(holder[0], "hls-playable", hlsJson(holder[0].toJson())), webhookUrl,
                    (room, since) -> captions.apply(room, since));
        } catch (IOException e) {
            throw new ApiException(500, "storage_error", "cannot prepare the local HLS folder");
        }
        holder[0] = h;
        hlsRecords.put(id, h.toJson());
        persist(h);
        launch(h, s);
        return hlsJson(h.toJson());
    }

    public JsonObject endHls(String roomId) {
        rooms.room(roomId);
        for (Output o : live.values()) {
            if (o instanceof HlsStream h && h.roomId.equals(roomId) && !h.ending()) {
                stopOutput(h);
                return hlsJson(h.toJson().put("status", "stopping"));
            }
        }
        throw ApiException.conflict("not_streaming", "room " + roomId + " has no running HLS stream");
    }

    public List<JsonObject> hls(String roomId) {
        return hlsRecords.values().stream()
                .filter(j -> roomId == null || roomId.equals(j.getString("roomId")))
                .sorted(Comparator.comparing((JsonObject j) -> j.getString("createdAt", "")).reversed())
                .map(this::hlsJson).toList();
    }

    /** The room an HLS stream belongs to (for access checks), or 404. */
    public String hlsRoom(String id) {
        JsonObject j = Ids.isSafe(id) ? hlsRecords.get(id) : null;
        if (j == null) throw ApiException.notFound("HLS stream", id);
        return j.getString("roomId");
    }

    private JsonObject hlsJson(JsonObject m) {
        String base = "/v2/hls/" + m.getString("id") + "/";
        return new JsonObject().put("id", m.getString("id")).put("roomId", m.getString("roomId"))
                .put("sessionId", m.getString("sessionId")).put("status", m.getString("status"))
                .put("reason", m.getString("reason")).put("createdAt", m.getString("createdAt"))
                .put("start", m.getString("start")).put("end", m.getString("end")).put("config", m.getJsonObject("config"))
                .put("playbackHlsUrl", base + "playback.m3u8").put("livestreamUrl", base + "live.m3u8")
                .put("masterPlaylistUrl", base + "index.m3u8")
                .put("segments", m.getInteger("segments", 0));
    }

    /**
     * A file of an HLS stream: playlists from memory while it runs, segments from the local folder,
     * and everything from the store once it ended (the VOD). Null when there is no such file.
     */
    public Future<Buffer> hlsFile(String id, String name) {
        JsonObject m = hlsRecords.get(id);
        if (m == null || !name.matches("(live|playback|index|captions)\\.m3u8|seg-\\d{5}\\.ts|sub-\\d{5}\\.vtt")) {
            return Future.succeededFuture(null);
        }
        Output o = live.get(id);
        if (o instanceof HlsStream h && !h.finished()) {
            if (name.equals("live.m3u8") && h.livePlaylist != null) return Future.succeededFuture(Buffer.buffer(h.livePlaylist));
            if (name.equals("playback.m3u8") && h.eventPlaylist != null) return Future.succeededFuture(Buffer.buffer(h.eventPlaylist));
            if (name.equals("index.m3u8") && h.streams != null) return Future.succeededFuture(Buffer.buffer(h.master()));
            if (name.equals("captions.m3u8") && h.captionsPlaylist != null) return Future.succeededFuture(Buffer.buffer(h.captionsPlaylist));
            String sub = h.subtitleFiles.get(name);
            if (sub != null) return Future.succeededFuture(Buffer.buffer(sub));
            if (name.endsWith(".m3u8")) return Future.succeededFuture(null);
            Path local = h.localSegment(name);
            if (local != null) {
                return vertx.fileSystem().readFile(local.toString()).recover(t -> store.get(m.getString("keyBase") + name));
            }
        }
        return store.get(m.getString("keyBase") + name);
    }

    // ---- layout ----

    public JsonObject setLayout(String roomId, String pin, String activeSpeaker, String type, boolean clearPin, boolean clearSpeaker) {
        rooms.room(roomId);
        LayoutState l = layouts.computeIfAbsent(roomId, r -> new LayoutState());
        if (pin != null || clearPin) l.pin = pin;
        if (activeSpeaker != null || clearSpeaker) l.activeSpeaker = activeSpeaker;
        if (type != null) l.type = type;
        return layoutJson(roomId);
    }

    public JsonObject layoutJson(String roomId) {
        LayoutState l = layouts.get(roomId);
        Session s = rooms.activeSession(roomId);
        return new JsonObject().put("roomId", roomId).put("pin", l == null ? null : l.pin)
                .put("activeSpeaker", l != null && l.activeSpeaker != null ? l.activeSpeaker
                        : s == null ? null : mixer.activeSpeaker(s.sessionId()))
                .put("type", l == null ? null : l.type);
    }

    // ================= state changes =================

    private final Output.Listener listener = new Output.Listener() {
        @Override
        public void changed(Output output, String status, String previous) {
            OutputService.this.changed(output, status, previous);
        }

        @Override
        public void event(Output output, String webhookType) {
            if (output instanceof Recording r) {
                JsonObject m = r.toJson();
                recordings.put(r.id, m);
                persist(r);
                emit(r, webhookType, recordingData(m));
            }
        }
    };

    /** From an output's thread: persist, announce, and release a finished output. */
    private void changed(Output o, String status, String previous) {
        if (o instanceof Recording r) {
            JsonObject m = r.toJson();
            recordings.put(r.id, m);
            persist(r);
            switch (status) {
                case "started" -> emit(r, "recording-started", recordingData(m));
                case "stopping" -> emit(r, "recording-stopping", recordingData(m));
                case "stopped" -> {
                    emit(r, "recording-stopped", recordingData(m));
                    store.putJson(r.keyBase + ".json", m);
                    if (r.transcribe) {
                        try {
                            onTranscribe.accept(recordingJson(m));
                        } catch (RuntimeException e) {
                            LOG.log(Level.WARNING, "could not queue the transcription of recording " + r.id, e);
                        }
                    }
                }
                case "failed" -> emit(r, "recording-failed", recordingData(m));
                default -> {
                }
            }
        } else if (o instanceof HlsStream h) {
            hlsRecords.put(h.id, h.toJson());
            persist(h);
            switch (status) {
                case "started" -> emit(h, "hls-started", hlsJson(h.toJson()));
                case "stopped" -> emit(h, "hls-stopped", hlsJson(h.toJson()));
                case "failed" -> emit(h, "hls-failed", hlsJson(h.toJson()));
                default -> {
                }
            }
        } else if (o instanceof RtmpPush p) {
            Livestream ls = livestreams.get(p.livestreamId);
            if (ls != null) {
                JsonObject j = ls.toJson();
                livestreamRecords.put(ls.id, j);
                persistLivestream(ls);
                if (status.equals("started") && !ls.announcedStart) {
                    ls.announcedStart = true;
                    emit(p.roomId, ls.webhookUrl, "livestream-started", publicLivestream(j));
                }
                if (status.equals("failed")) {
                    emit(p.roomId, ls.webhookUrl, "livestream-failed", publicLivestream(j)
                            .put("failedOutput", new JsonObject().put("url", io.roomcast.encode.Muxer.redact(p.url)).put("reason", p.reason)));
                }
                if (TERMINAL.contains(j.getString("status")) && !ls.announcedEnd) {
                    ls.announcedEnd = true;
                    emit(p.roomId, ls.webhookUrl, "livestream-stopped", publicLivestream(j));
                    livestreams.remove(ls.id);
                }
            }
        }
        if (TERMINAL.contains(status)) {
            live.remove(o.id, o);
            if (!o.ending()) stopOutput(o); // failed on its own: leave the encoder
        }
    }

    private void emit(Output o, String type, JsonObject data) {
        String url = o instanceof Recording r ? r.webhookUrl : o instanceof HlsStream h ? h.webhookUrl : null;
        emit(o.roomId, url, type, data);
    }

    private void emit(String roomId, String url, String type, JsonObject data) {
        Room room;
        try {
            room = rooms.room(roomId);
        } catch (RuntimeException e) {
            return;
        }
        events.emit(room, type, data, url);
    }

    private void persist(Output o) {
        String dir = o instanceof Recording ? "meta/recordings/" : "meta/hls/";
        JsonObject m = o instanceof Recording ? recordings.get(o.id) : hlsRecords.get(o.id);
        if (m != null) persister.write(dir + o.id + ".json", m);
    }

    private void persistLivestream(Livestream ls) {
        persister.write("meta/livestreams/" + ls.id + ".json", livestreamRecords.get(ls.id));
    }

    // ================= restart =================

    /**
     * Loads every manifest; recordings a crash interrupted are finalized from their uploaded parts
     * (on a worker, after this returns), livestreams and HLS streams that were running are closed.
     */
    public Future<Void> load(java.util.function.Predicate<String> roomIsHere, boolean abortUploads) {
        return loadDir("meta/recordings/", recordings, roomIsHere)
                .compose(v -> loadDir("meta/hls/", hlsRecords, roomIsHere))
                .compose(v -> loadDir("meta/livestreams/", livestreamRecords, roomIsHere))
                .onSuccess(v -> recoverInterrupted(m -> true, abortUploads));
    }

    /**
     * After taking over a lost node's rooms (blocking): their outputs' manifests are read, and what
     * was running there is closed or finalized from its uploaded parts, as after a restart.
     */
    public void recoverRooms(java.util.Set<String> roomIds) {
        if (roomIds.isEmpty()) return;
        try {
            loadDir("meta/recordings/", recordings, roomIds::contains)
                    .compose(v -> loadDir("meta/hls/", hlsRecords, roomIds::contains))
                    .compose(v -> loadDir("meta/livestreams/", livestreamRecords, roomIds::contains))
                    .await(120, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.log(Level.WARNING, "could not read the outputs of taken-over rooms", e);
            return;
        }
        recoverInterrupted(m -> roomIds.contains(m.getString("roomId")), false);
    }

    /** The room moved to another node (it had no session): its finished outputs are listed there now. */
    public void forgetRoom(String roomId) {
        for (Map<String, JsonObject> m : List.of(recordings, hlsRecords, livestreamRecords)) {
            m.values().removeIf(j -> roomId.equals(j.getString("roomId")) && TERMINAL.contains(j.getString("status")));
        }
        layouts.remove(roomId);
    }

    private void recoverInterrupted(java.util.function.Predicate<JsonObject> which, boolean abortUploads) {
        for (JsonObject m : livestreamRecords.values()) {
            if (which.test(m) && !TERMINAL.contains(m.getString("status"))) {
                m.put("status", "stopped").put("reason", "the node stopped while it was streaming");
                persister.write("meta/livestreams/" + m.getString("id") + ".json", m);
            }
        }
        List<JsonObject> interrupted = new ArrayList<>();
        for (JsonObject m : recordings.values()) {
            if (which.test(m) && !TERMINAL.contains(m.getString("status")) && !live.containsKey(m.getString("id"))) interrupted.add(m);
        }
        List<JsonObject> hlsInterrupted = new ArrayList<>();
        for (JsonObject m : hlsRecords.values()) {
            if (which.test(m) && !TERMINAL.contains(m.getString("status")) && !live.containsKey(m.getString("id"))) hlsInterrupted.add(m);
        }
        if (interrupted.isEmpty() && hlsInterrupted.isEmpty()) {
            if (abortUploads) store.abortIncompleteUploads("recordings/");
            return;
        }
        Thread t = new Thread(() -> recover(interrupted, hlsInterrupted, abortUploads), "roomcast-recover");
        t.setDaemon(true);
        t.start();
    }

    private Future<Void> loadDir(String prefix, Map<String, JsonObject> into, java.util.function.Predicate<String> roomIsHere) {
        return store.listKeys(prefix).compose(keys -> {
            List<Future<JsonObject>> all = new ArrayList<>();
            for (String k : keys) if (k.endsWith(".json")) all.add(store.getJson(k));
            return Future.all(all).map(cf -> {
                for (Future<JsonObject> f : all) {
                    JsonObject j = f.result();
                    if (j != null && j.getString("id") != null && roomIsHere.test(j.getString("roomId"))) into.put(j.getString("id"), j);
                }
                return null;
            });
        });
    }

    private final List<Thread> recoveries = new java.util.concurrent.CopyOnWriteArrayList<>();

    private void recover(List<JsonObject> recs, List<JsonObject> streams, boolean abortUploads) {
        recoveries.add(Thread.currentThread());
        for (JsonObject m : streams) {
            try {
                String key = m.getString("keyBase") + "playback.m3u8";
                Buffer b = store.get(key).await(60, TimeUnit.SECONDS);
                if (b != null && !b.toString().contains("#EXT-X-ENDLIST")) {
                    String text = b.toString().replace("#EXT-X-PLAYLIST-TYPE:EVENT", "#EXT-X-PLAYLIST-TYPE:VOD") + "#EXT-X-ENDLIST\n";
                    store.put(key, Buffer.buffer(text), "application/vnd.apple.mpegurl").await(60, TimeUnit.SECONDS);
                }
                m.put("status", b == null ? "failed" : "stopped").put("interrupted", true)
                        .put("reason", "the node stopped while it was streaming; the playlist was closed on restart");
                hlsRecords.put(m.getString("id"), m);
                persister.write("meta/hls/" + m.getString("id") + ".json", m);
            } catch (Exception e) {
                LOG.log(Level.WARNING, "could not close the interrupted HLS stream " + m.getString("id"), e);
            }
        }
        for (JsonObject m : recs) {
            try {
                recoverRecording(m);
            } catch (Exception e) {
                LOG.log(Level.WARNING, "could not finalize the interrupted recording " + m.getString("id"), e);
                m.put("status", "failed").put("reason", "interrupted, and finalizing it failed: " + e.getMessage());
                recordings.put(m.getString("id"), m);
                persister.write("meta/recordings/" + m.getString("id") + ".json", m);
            }
        }
        if (!abortUploads) return; // in a cluster another node may be uploading under the same prefix
        try {
            store.abortIncompleteUploads("recordings/").await(60, TimeUnit.SECONDS);
            for (JsonObject m : recs) {
                String prefix = Recording.prefix(m.getString("awsDirPath"));
                if (!prefix.isEmpty()) store.abortIncompleteUploads(prefix + "recordings/").await(60, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            LOG.warning("could not abort incomplete uploads: " + e.getMessage());
        }
    }

    /** Concatenates the uploaded parts, rewrites them into an MP4, uploads it: what a crash left, playable. */
    private void recoverRecording(JsonObject m) throws Exception {
        String id = m.getString("id");
        String keyBase = m.getString("keyBase");
        List<String> parts = new ArrayList<>(store.listKeys(keyBase + Recording.PARTS).await(60, TimeUnit.SECONDS));
        parts.sort(null);
        OutputConfig cfg = presets.resolve(null, m.getJsonObject("config") == null ? null : configOverrides(m.getJsonObject("config")));
        String ext = cfg.audioOnly() ? ".m4a" : ".mp4";
        m.put("interrupted", true);
        if (parts.isEmpty()) {
            m.put("status", "failed").put("reason", "the node stopped before any of the recording was uploaded");
        } else {
            Path dir = Files.createDirectories(settings.dataDir().resolve("recordings").resolve(id + "-recover"));
            Path joined = dir.resolve("joined.fmp4");
            try (var out = Files.newOutputStream(joined)) {
                for (String k : parts) {
                    Buffer b = store.get(k).await(60, TimeUnit.SECONDS);
                    if (b != null) out.write(b.getBytes());
                }
            }
            Path mp4 = dir.resolve("final" + ext);
            Remux.Info info = Remux.toMp4(joined, mp4);
            String key = keyBase + ext;
            store.putFile(key, mp4, cfg.audioOnly() ? "audio/mp4" : "video/mp4");
            m.put("file", Recording.fileJson(key, Files.size(mp4), cfg, info.durationMicros()));
            m.put("status", "stopped").put("end", m.getString("end", Instant.now().toString()))
                    .put("reason", "interrupted: finalized on restart from the parts uploaded before the node stopped");
            Recording.deleteParts(store, keyBase, parts.size());
            try (var files = Files.list(dir)) {
                files.forEach(f -> f.toFile().delete());
            }
            Files.deleteIfExists(dir);
            Path old = settings.dataDir().resolve("recordings").resolve(id);
            if (Files.isDirectory(old)) {
                try (var files = Files.list(old)) {
                    files.forEach(f -> f.toFile().delete());
                }
                Files.deleteIfExists(old);
            }
            store.putJson(keyBase + ".json", m).await(60, TimeUnit.SECONDS);
        }
        recordings.put(id, m);
        persister.write("meta/recordings/" + id + ".json", m).await(60, TimeUnit.SECONDS);
        LOG.info(() -> "recording " + id + " interrupted by a stop: " + m.getString("status") + " (" + parts.size() + " parts)");
    }

    /** The stored config of a manifest as overrides of the default preset. */
    private static JsonObject configOverrides(JsonObject stored) {
        JsonObject o = stored.copy();
        String res = o.getString("resolution");
        o.remove("resolution");
        if (res != null) {
            int w = Integer.parseInt(res.substring(0, res.indexOf('x')));
            int h = Integer.parseInt(res.substring(res.indexOf('x') + 1));
            int big = Math.max(w, h);
            o.put("quality", big >= 1920 ? "high" : big >= 1280 ? "med" : "low").put("orientation", h > w ? "portrait" : "landscape");
        }
        return o;
    }

    /** Waits (bounded) for restart recovery to finish; for tests and orderly shutdown. */
    public boolean awaitRecovery(long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        for (Thread t : recoveries) {
            t.join(Math.max(1, deadline - System.currentTimeMillis()));
            if (t.isAlive()) return false;
        }
        return true;
    }

    /**
     * Ends every running output and waits for each to finish (trailers written, files uploaded):
     * on shutdown, so what was recorded is not lost.
     */
    public void close(long waitMillis) {
        List<Output> all = new ArrayList<>(live.values());
        for (Output o : all) stopOutput(o);
        long deadline = System.currentTimeMillis() + waitMillis;
        for (Output o : all) {
            try {
                if (!o.awaitFinished(Math.max(1, deadline - System.currentTimeMillis()))) {
                    LOG.warning("output " + o.id + " did not finish before shutdown");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
