package io.roomcast.output;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.roomcast.compose.Composition;
import io.roomcast.compose.Still;
import io.roomcast.encode.OutputConfig;
import io.roomcast.encode.Presets;
import io.roomcast.errors.Refusal;
import io.roomcast.events.Events;
import io.roomcast.ingest.RtpIngest;
import io.roomcast.outbound.OutboundPolicy;
import io.roomcast.room.Room;
import io.roomcast.room.RoomService;
import io.roomcast.room.Session;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * The running outputs of this node, whatever their kind: the registry, the limits, launching an
 * output onto its session's media thread and stopping it, and the webhooks they send. The kinds
 * ({@code recording}, {@code livestream}, {@code hls}) build their outputs and answer the API.
 *
 * <p>Threads: called from the event loop (start/end) and from outputs' threads (status changes);
 * the registry is concurrent, and joining or leaving an encoder is posted to the media thread.
 */
public final class Outputs {
    private static final Logger LOG = Logger.getLogger(Outputs.class.getName());
    private static final long START_TIMEOUT_MS = 20_000;

    /** What outputs need of the config. */
    public record Settings(Path dataDir, String videoEncoder, long mixDelayMs, long rtmpConnectTimeoutMs,
                           int maxOutputsPerRoom, int maxOutputsPerNode, int maxRtmpDestinations, long maxSpillBytesPerRecording,
                           OutboundPolicy outbound) {
    }

    private final Vertx vertx;
    private final RoomService rooms;
    private final RtpIngest ingest;
    private final Events events;
    private final Presets presets;
    private final Settings settings;
    private static final long SNAPSHOT_TIMEOUT_MS = 3000;
    private final Map<String, Output> live = new ConcurrentHashMap<>();
    private Composition composition;

    public Outputs(Vertx vertx, RoomService rooms, RtpIngest ingest, Events events, Presets presets, Settings settings,
                   MeterRegistry registry) {
        this.vertx = vertx;
        this.rooms = rooms;
        this.ingest = ingest;
        this.events = events;
        this.presets = presets;
        this.settings = settings;
        for (String kind : List.of("recording", "track-recording", "rtmp", "hls")) {
            registry.gauge("roomcast_outputs_running", Tags.of("kind", kind), live,
                    m -> m.values().stream().filter(o -> o.kind().equals(kind)).count());
        }
    }

    /** The composition outputs join; set once while wiring (it needs {@link #members()}). */
    public void composeWith(Composition c) {
        composition = c;
    }

    /** The running outputs of a session, for the composition. */
    public Composition.Members members() {
        return sessionId -> live.values().stream().filter(o -> o.sessionId().equals(sessionId)).toList();
    }

    public Settings settings() {
        return settings;
    }

    public Presets presets() {
        return presets;
    }

    /** The running outputs of a kind. */
    public <T extends Output> Stream<T> running(Class<T> kind) {
        return live.values().stream().filter(kind::isInstance).map(kind::cast);
    }

    public Output running(String id) {
        return live.get(id);
    }

    /** The room's ongoing session, or a conflict: outputs start once a participant has joined. */
    public Session ongoing(String roomId) {
        rooms.room(roomId);
        Session s = rooms.activeSession(roomId);
        if (s == null) {
            throw Refusal.conflict("no_session", "room " + roomId + " has no ongoing session: outputs start once a participant has joined");
        }
        return s;
    }

    /**
     * The session a new output of {@code kind} starts in: the room's ongoing one, with none of the
     * kind running there ({@code alreadyRunning} says why not) and the room and node under their limits.
     */
    public <T extends Output> Session admit(String roomId, Class<T> kind, Function<T, Refusal> alreadyRunning) {
        return admit(roomId, kind, o -> true, alreadyRunning);
    }

    /** The same, where only a running output that {@code same} accepts stands in the way. */
    public <T extends Output> Session admit(String roomId, Class<T> kind, Function<T, Boolean> same,
                                            Function<T, Refusal> alreadyRunning) {
        Session s = ongoing(roomId);
        T running = find(kind, roomId, o -> !o.ending() && same.apply(o));
        if (running != null) throw alreadyRunning.apply(running);
        checkLimits(roomId, 1);
        return s;
    }

    /** The participant as present in the session now, or not found (they never joined it, or left). */
    public RoomService.Present present(Session s, String participantId) {
        for (RoomService.Present p : rooms.present(s.sessionId())) if (p.participantId().equals(participantId)) return p;
        throw Refusal.notFound("participant", participantId);
    }

    /** The room, or not found. */
    public void requireRoom(String roomId) {
        rooms.room(roomId);
    }

    public OutputConfig resolve(String preset, JsonObject config) {
        try {
            return presets.resolve(preset, config);
        } catch (IllegalArgumentException e) {
            throw Refusal.invalid(e.getMessage());
        }
    }

    public void checkLimits(String roomId, int adding) {
        long inRoom = live.values().stream().filter(o -> o.roomId().equals(roomId)).count();
        if (inRoom + adding > settings.maxOutputsPerRoom()) {
            throw Refusal.limit("too_many_outputs", "room " + roomId + " already runs " + inRoom
                    + " outputs (limits.maxOutputsPerRoom = " + settings.maxOutputsPerRoom() + ")");
        }
        if (live.size() + adding > settings.maxOutputsPerNode()) {
            throw Refusal.limit("too_many_outputs", "this node already runs " + live.size()
                    + " outputs (limits.maxOutputsPerNode = " + settings.maxOutputsPerNode() + ")");
        }
    }

    /** Registers the output and joins it to its session's encoder; it fails if no media comes in time. */
    public void launch(Output o, Session s, boolean startTimeout) {
        launch(o, s, startTimeout, true);
    }

    /**
     * The same for an output that copies what senders encoded ({@link Output#config()} null): registered
     * on the session's timeline, fed by its own media sink instead of an encoder.
     */
    public void launchCopy(Output o, Session s) {
        launch(o, s, true, false);
    }

    private void launch(Output o, Session s, boolean startTimeout, boolean encoded) {
        live.put(o.id(), o);
        long startUnixMicros = Instant.parse(s.start()).toEpochMilli() * 1000;
        o.placedInSession(startUnixMicros);
        Runnable join = encoded ? () -> composition.attach(o, startUnixMicros) : () -> { };
        if (!ingest.runOnMediaThread(o.roomId(), o.sessionId(), join)) {
            live.remove(o.id());
            o.fail("the session ended before the output could start");
            o.end();
            return;
        }
        if (!startTimeout) return;
        vertx.setTimer(START_TIMEOUT_MS, t -> {
            if (o.status() == OutputStatus.STARTING) {
                o.fail("no media within " + START_TIMEOUT_MS / 1000 + " s of the start");
                stop(o);
            }
        });
    }

    /**
     * The room's composite as a JPEG, {@code width} wide: the next picture an output composes anyway
     * (no picture is composed for it). A conflict when the room has no session or nothing with video
     * runs; the JPEG is made on a worker thread.
     */
    public Future<byte[]> snapshot(String roomId, int width) {
        Session s = ongoing(roomId);
        Promise<Still> still = Promise.promise();
        if (!ingest.runOnMediaThread(roomId, s.sessionId(), () -> composition.snapshot(s.sessionId(), width, still))) {
            throw Refusal.conflict("no_session", "room " + roomId + " has no ongoing session");
        }
        long timer = vertx.setTimer(SNAPSHOT_TIMEOUT_MS, t -> still.tryFail(Refusal.conflict("no_composite",
                "no picture was composed within " + SNAPSHOT_TIMEOUT_MS + " ms")));
        return still.future().andThen(ar -> vertx.cancelTimer(timer))
                .compose(pic -> vertx.executeBlocking(pic::jpeg, false));
    }

    /** Leaves the encoder on the media thread (or at once when the session is gone), then ends. */
    public void stop(Output o) {
        if (!ingest.runOnMediaThread(o.roomId(), o.sessionId(), () -> composition.detach(o))) o.end();
    }

    /** From a kind's status listener: a finished output leaves the registry (and its encoder, if it failed on its own). */
    public void settled(Output o, OutputStatus status) {
        if (!status.terminal()) return;
        live.remove(o.id(), o);
        if (!o.ending()) stop(o);
    }

    /** A webhook of the room (and to the output's own URL, if it has one); nothing when the room is gone. */
    public void emit(String roomId, String url, String type, JsonObject data) {
        Room room;
        try {
            room = rooms.room(roomId);
        } catch (RuntimeException e) {
            return;
        }
        events.emit(room, type, data, url);
    }

    /** The first running output of the room that the test accepts, or null. */
    public <T extends Output> T find(Class<T> kind, String roomId, Function<T, Boolean> test) {
        return running(kind).filter(o -> o.roomId().equals(roomId) && test.apply(o)).findFirst().orElse(null);
    }

    /**
     * Ends every running output and waits for each to finish (trailers written, files uploaded):
     * on shutdown, so what was recorded is not lost.
     */
    public void close(long waitMillis) {
        List<Output> all = new ArrayList<>(live.values());
        for (Output o : all) stop(o);
        long deadline = System.currentTimeMillis() + waitMillis;
        for (Output o : all) {
            try {
                if (!o.awaitFinished(Math.max(1, deadline - System.currentTimeMillis()))) {
                    LOG.warning("output " + o.id() + " did not finish before shutdown");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
