package io.roomcast.compose;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.roomcast.encode.EncodeGroup;
import io.roomcast.encode.OutputConfig;
import io.roomcast.errors.Refusal;
import io.roomcast.ingest.MediaSink;
import io.roomcast.mix.AudioMixer;
import io.roomcast.mix.Layout;
import io.roomcast.mix.VideoCompositor;
import io.roomcast.mix.VideoInputs;
import io.roomcast.mix.Watermarks;
import io.roomcast.room.RoomService.TrackBinding;
import io.roomcast.room.RoomService;
import io.roomcast.room.Track;
import io.vertx.core.Promise;
import org.bytedeco.ffmpeg.avutil.AVFrame;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The composition of every session on this node, on the session's media thread: one encoder and
 * compositor per distinct output config (encode once, mux many), pictures composed by the room's
 * layout at the encoder's frame rate, the audio mix (and silence where nobody spoke) handed on.
 * Outputs join with {@link #attach} and leave with {@link #detach}, both on the media thread.
 */
public final class Composition implements MediaSink, AudioMixer.Listener {
    private static final short[] SILENCE = new short[AudioMixer.FRAME];

    /** The outputs of a session, whatever their state (for its audio taps and its close). */
    public interface Members {
        Collection<? extends Composed> of(String sessionId);
    }

    private record Comp(EncodeGroup group, VideoCompositor compositor, StillTaker stills, List<StillSink> stillSinks) {
    }

    /** A snapshot asked through the API: filled from the next picture composed. */
    private record Wanted(int width, Promise<Still> promise) {
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
        final List<Wanted> snapshots = new ArrayList<>();

        Stage(String roomId, String sessionId, long sessionStartUnixMicros) {
            this.roomId = roomId;
            this.sessionId = sessionId;
            this.sessionStartUnixMicros = sessionStartUnixMicros;
        }

        long mixMicros() {
            return System.currentTimeMillis() * 1000 - sessionStartUnixMicros - mixDelayMs * 1000;
        }

        void close() {
            for (Wanted w : snapshots) w.promise.tryFail(Refusal.conflict("no_composite", "the session ended"));
            snapshots.clear();
            for (Comp c : comps.values()) closeComp(c);
            comps.clear();
            inputs.close();
        }
    }

    private final RoomService rooms;
    private final Layouts layouts;
    private final Members members;
    private final long mixDelayMs;
    private final String videoEncoder;
    private final Function<String, BufferedImage> watermarkImages;
    /** Per session, confined to its media thread. */
    private final Map<String, Stage> stages = new ConcurrentHashMap<>();
    private final AtomicLong framesEncoded = new AtomicLong();
    private final AtomicLong framesDropped = new AtomicLong();

    public Composition(RoomService rooms, AudioMixer mixer, Layouts layouts, Members members, long mixDelayMs, String videoEncoder,
                       Function<String, BufferedImage> watermarkImages, MeterRegistry registry) {
        this.watermarkImages = watermarkImages;
        this.rooms = rooms;
        this.layouts = layouts;
        this.members = members;
        this.mixDelayMs = mixDelayMs;
        this.videoEncoder = videoEncoder;
        mixer.addListener(this);
        registry.gauge("roomcast_encoders_running", stages, m -> m.values().stream().mapToInt(s -> s.comps.size()).sum());
        FunctionCounter.builder("roomcast_encode_frames", this, s -> s.sumGroups(true))
                .description("pictures encoded").register(registry);
        FunctionCounter.builder("roomcast_encode_frames_dropped", this, s -> s.sumGroups(false))
                .description("pictures not composed or encoded in time").register(registry);
    }

    private double sumGroups(boolean encoded) {
        long live = 0;
        for (Stage s : stages.values()) {
            for (Comp c : s.comps.values()) live += encoded ? c.group.framesEncoded.get() : c.group.framesDropped.get();
        }
        return (encoded ? framesEncoded.get() : framesDropped.get()) + live;
    }

    private void closeComp(Comp c) {
        framesEncoded.addAndGet(c.group.framesEncoded.get());
        framesDropped.addAndGet(c.group.framesDropped.get());
        c.compositor.close();
        c.stills.close();
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
        for (Composed o : members.of(track.sessionId())) o.participantAudio(track.participantId(), sessionMicros, opus);
    }

    private static String feedKey(String participantId, Track t) {
        return participantId + "/" + ("screen".equals(t.source()) ? "screen" : "camera");
    }

    @Override
    public void mixed(String roomId, String sessionId, long startMicros, short[] pcm) {
        Stage s = stages.get(sessionId);
        if (s == null) return;
        for (Map.Entry<OutputConfig, Comp> e : s.comps.entrySet()) {
            if (e.getKey().participantId() == null) submitAudio(s, e.getKey(), e.getValue(), startMicros, pcm);
        }
    }

    /** A participant recording hears only its participant. */
    @Override
    public boolean wantsVoices(String sessionId) {
        Stage s = stages.get(sessionId);
        if (s == null) return false;
        for (OutputConfig c : s.comps.keySet()) if (c.participantId() != null) return true;
        return false;
    }

    @Override
    public void voice(String roomId, String sessionId, String participantId, long startMicros, short[] pcm) {
        Stage s = stages.get(sessionId);
        if (s == null) return;
        for (Map.Entry<OutputConfig, Comp> e : s.comps.entrySet()) {
            if (participantId.equals(e.getKey().participantId())) submitAudio(s, e.getKey(), e.getValue(), startMicros, pcm);
        }
    }

    private static void submitAudio(Stage s, OutputConfig cfg, Comp c, long startMicros, short[] pcm) {
        c.group.submitAudio(startMicros, pcm);
        s.audioUntil.merge(cfg, startMicros + (long) pcm.length * 1_000_000 / AudioMixer.RATE, Math::max);
    }

    @Override
    public void tick(String roomId, String sessionId, long nowMicros) {
        Stage s = stages.get(sessionId);
        if (s == null) return;
        long mix = nowMicros - mixDelayMs * 1000;
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
                    List<Layout.Tile> tiles = Layout.tiles(layouts.type(roomId, cfg.layout()), cfg.gridSize(), cfg.width(),
                            cfg.height(), feeds(s, cfg));
                    c.compositor.compose(canvas, at, 500_000 / cfg.fps(), tiles, s.inputs);
                    takeStills(s, c, canvas, at);
                    c.group.submitPicture(canvas);
                }
            }
            c.group.flush();
        }
        s.inputs.prune(mix - 200_000);
    }

    /** Stills from the picture just composed, for the outputs whose thumbnail is due and for snapshots asked. */
    private static void takeStills(Stage s, Comp c, AVFrame canvas, long at) {
        for (StillSink sink : c.stillSinks) {
            if (at < sink.nextStillMicros()) continue;
            Still still = c.stills.take(canvas, at, sink.stillWidth());
            if (still != null) sink.still(still);
        }
        if (s.snapshots.isEmpty()) return;
        for (Wanted w : s.snapshots) {
            Still still = c.stills.take(canvas, at, w.width);
            if (still != null) w.promise.tryComplete(still);
            else w.promise.tryFail(Refusal.internal("snapshot_failed", "the picture could not be scaled"));
        }
        s.snapshots.clear();
    }

    /**
     * On the media thread: the session's next composed picture, {@code width} wide, into
     * {@code promise}; a conflict when nothing composes pictures there (no output with video runs).
     */
    public void snapshot(String sessionId, int width, Promise<Still> promise) {
        Stage s = stages.get(sessionId);
        if (s == null || !wantsVideo(sessionId)) {
            promise.tryFail(Refusal.conflict("no_composite", "nothing composes the room's picture now: a snapshot is taken from"
                    + " the composite of a running recording, HLS or livestream with video"));
            return;
        }
        s.snapshots.add(new Wanted(width, promise));
    }

    /** The room's feeds by priority; a participant recording's are that participant's only (none once they left). */
    private List<Layout.Feed> feeds(Stage s, OutputConfig cfg) {
        List<Layout.Feed> all = layouts.feeds(s.roomId, s.sessionId, cfg.priority(), s.present);
        if (cfg.participantId() == null) return all;
        return all.stream().filter(f -> f.participantId().equals(cfg.participantId())).toList();
    }

    @Override
    public void sessionClosed(String roomId, String sessionId) {
        Stage s = stages.remove(sessionId);
        for (Composed o : members.of(sessionId)) {
            if (s != null) {
                Comp c = s.comps.get(o.config());
                if (c != null) c.group.detach(o);
            }
            o.end();
        }
        if (s != null) s.close();
    }

    /** On the media thread: joins the output to its encoder, creating encoder and compositor when new. */
    public void attach(Composed o, long sessionStartUnixMicros) {
        if (o.ending()) return;
        Stage s = stages.computeIfAbsent(o.sessionId(), id -> new Stage(o.roomId(), id, sessionStartUnixMicros));
        Comp c = s.comps.get(o.config());
        if (c == null) {
            long start = Math.floorDiv(s.mixMicros(), 20_000) * 20_000;
            EncodeGroup g = new EncodeGroup(o.roomId(), o.config(), start, videoEncoder);
            OutputConfig cfg = o.config();
            Watermarks marks = cfg.audioOnly() ? Watermarks.NONE : Watermarks.of(cfg.watermarks(), cfg.width(), cfg.height(), watermarkImages);
            c = new Comp(g, new VideoCompositor(cfg.width(), cfg.height(), cfg.theme(), marks), new StillTaker(), new ArrayList<>());
            s.comps.put(o.config(), c);
            s.audioUntil.put(o.config(), start);
        }
        if (o.stills() != null) c.stillSinks.add(o.stills());
        o.begin(c.group);
    }

    /** On the media thread: leaves the encoder (closing it when last), then ends the output. */
    public void detach(Composed o) {
        Stage s = stages.get(o.sessionId());
        if (s != null) {
            Comp c = s.comps.get(o.config());
            if (c != null && o.stills() != null) c.stillSinks.remove(o.stills());
            if (c != null && c.group.detach(o)) {
                s.comps.remove(o.config());
                s.audioUntil.remove(o.config());
                closeComp(c);
            }
            if (s.comps.isEmpty()) {
                stages.remove(o.sessionId());
                s.close();
            }
        }
        o.end();
    }
}
