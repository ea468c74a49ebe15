package io.roomcast;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.roomcast.api.ApiServer;
import io.roomcast.config.Config;
import io.roomcast.events.Events;
import io.roomcast.events.Webhooks;
import io.roomcast.ingest.MediaSink;
import io.roomcast.ingest.RtpIngest;
import io.roomcast.encode.Presets;
import io.roomcast.mix.AudioMixer;
import io.roomcast.output.OutputService;
import io.roomcast.transcribe.TranscriptionService;
import io.roomcast.room.RoomService;
import io.roomcast.storage.EmbeddedS3;
import io.roomcast.storage.ObjectStore;
import io.vertx.core.Vertx;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.core.VertxOptions;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * One Roomcast node: the object store (embedded unless an endpoint is configured), the room registry
 * loaded from it, webhooks, and the HTTP API. {@link #start} blocks until the node serves;
 * {@link #stop} releases everything once.
 */
public final class Roomcast implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Roomcast.class.getName());

    private final Config config;
    private final Vertx vertx;
    private final PrometheusMeterRegistry registry;
    private EmbeddedS3 embeddedS3;
    private ObjectStore store;
    private Webhooks webhooks;
    private RoomService rooms;
    private RtpIngest ingest;
    private TranscriptionService transcription;
    private AudioMixer mixer;
    private OutputService outputs;
    private io.roomcast.transcribe.PostCallService postCall;
    private ApiServer api;
    private io.roomcast.cluster.Cluster cluster;
    private java.util.concurrent.ExecutorService placing;
    private final java.util.Map<String, Long> justPlaced = new java.util.concurrent.ConcurrentHashMap<>();
    private java.util.concurrent.ExecutorService adopting;
    private boolean stopped;

    private Roomcast(Config config) throws Exception {
        this.config = config;
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        VertxOptions options = new VertxOptions().setPreferNativeTransport(true).setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
                .setJvmMetricsEnabled(true)
                // RTP has its own counters (roomcast_rtp_*); per-datagram Vert.x metrics cost too much.
                .addDisabledMetricsCategory(MetricsDomain.DATAGRAM_SOCKET));
        var builder = Vertx.builder().withMetrics(new MicrometerMetricsFactory(registry));
        if (config.bool("cluster.enabled")) {
            String host = config.str("cluster.host");
            String name = config.str("cluster.nodeName").isBlank() ? host + ":" + config.integer("cluster.port")
                    : config.str("cluster.nodeName");
            cluster = new io.roomcast.cluster.Cluster(name, host, config.integer("cluster.port"), config.str("cluster.members"),
                    config.integer("cluster.failureSeconds"), config.num("cluster.maxLoad").doubleValue(),
                    config.num("cluster.placementCostCores").doubleValue());
            options.setEventBusOptions(new io.vertx.core.eventbus.EventBusOptions().setHost(host).setPort(0));
            try {
                this.vertx = builder.with(options).withClusterManager(cluster.manager()).buildClustered().await(120, TimeUnit.SECONDS);
            } catch (Exception e) {
                cluster.close();
                throw e;
            }
            LOG.info(() -> "joined the Roomcast cluster as " + name + " (" + cluster.manager().getNodes().size() + " members)");
        } else {
            this.vertx = builder.with(options).build();
        }
    }

    /** Starts a node and waits until its API answers. Call from a plain thread, not an event loop. */
    public static Roomcast start(Config config) throws Exception {
        Roomcast node = new Roomcast(config);
        try {
            node.startParts();
            return node;
        } catch (Exception e) {
            node.close();
            throw e;
        }
    }

    private void startParts() throws Exception {
        URI endpoint;
        String configured = config.str("s3.endpoint");
        if (configured.isEmpty()) {
            embeddedS3 = EmbeddedS3.start(config.dataDir().resolve("s3"), config.str("s3.host"),
                    config.integer("s3.port"), config.str("s3.accessKey"), config.str("s3.secretKey"),
                    config.str("s3.bucket"));
            endpoint = embeddedS3.endpoint();
            LOG.info(() -> "embedded S3 store at " + embeddedS3.endpoint() + " keeping objects in "
                    + config.dataDir().resolve("s3"));
        } else {
            endpoint = URI.create(configured);
        }
        store = new ObjectStore(vertx, endpoint, config.str("s3.region"), config.str("s3.accessKey"),
                config.str("s3.secretKey"), config.str("s3.bucket"), config.bool("s3.pathStyle"),
                Duration.ofSeconds(config.lng("s3.presignSeconds")));
        store.ensureBucket().await(60, TimeUnit.SECONDS);

        webhooks = new Webhooks(vertx, config.str("webhooks.secret"), config.integer("webhooks.maxAttempts"),
                config.lng("webhooks.initialBackoffMs"), config.lng("webhooks.maxBackoffMs"),
                config.lng("webhooks.timeoutMs"), config.integer("webhooks.maxPending"),
                config.bool("webhooks.allowPrivateAddresses"), registry);
        Events events = new Events(vertx, webhooks);
        rooms = new RoomService(vertx, store, events, config.lng("sessions.graceSeconds") * 1000,
                config.integer("limits.maxRooms"), config.integer("limits.maxParticipantsPerRoom"), registry);
        ingest = new RtpIngest(vertx, rooms, events, config.str("rtp.host"), config.integer("rtp.port"),
                config.lng("ingest.jitterMs"), config.lng("ingest.silenceSeconds"),
                config.lng("ingest.maxPacketsPerSecondPerTrack"), config.integer("ingest.maxQueuedPacketsPerRoom"),
                config.integer("ingest.maxDatagramBytes"), config.lng("ingest.keyframeRequestIntervalMs"),
                config.lng("ingest.relatchAfterMs"), registry);
        if ("always".equals(config.str("ingest.decodeVideo"))) {
            ingest.addSink(new MediaSink() { // a stage that always wants pictures keeps every camera decoded
                @Override
                public boolean wantsVideo(String sessionId) {
                    return true;
                }
            });
        }
        transcription = new TranscriptionService(vertx, rooms, events, store,
                Path.of(config.str("transcription.modelsDir")).toAbsolutePath(),
                config.str("transcription.defaultLanguage"), config.num("transcription.vadThresholdDb").doubleValue(),
                config.lng("transcription.vadHangoverMs"), config.lng("transcription.partialIntervalMs"),
                config.integer("transcription.maxCaptionsPerTranscription"), config.integer("transcription.maxQueuedFrames"),
                config.lng("transcription.maxLagMs"),
                config.integer("transcription.threads"), registry);
        ingest.addSink(transcription);
        mixer = new AudioMixer(rooms, events, config.lng("mix.audioDelayMs"));
        ingest.addSink(mixer);
        Presets presets = new Presets(Path.of(config.str("pipelines.dir")).toAbsolutePath(), config.str("pipelines.default"));
        outputs = new OutputService(vertx, rooms, ingest, mixer, events, store, presets, new OutputService.Settings(
                config.dataDir(), videoEncoder(config.str("outputs.videoEncoder")), config.lng("mix.audioDelayMs"),
                config.lng("outputs.rtmpConnectTimeoutMs"), config.integer("limits.maxOutputsPerRoom"),
                config.integer("limits.maxOutputsPerNode"), config.integer("limits.maxRtmpDestinations"),
                config.lng("limits.maxSpillBytesPerRecording")), registry);
        ingest.addSink(outputs);
        LOG.info(() -> "video encoder for outputs: " + videoEncoder(config.str("outputs.videoEncoder")));
        outputs.captionsFrom(transcription::captions);
        postCall = new io.roomcast.transcribe.PostCallService(rooms, events, store, transcription, outputs::recording,
                a -> outputs.recordings(a[0], a[1]), config.dataDir().resolve("postcall"),
                config.integer("postCall.concurrency"), config.integer("postCall.filesInParallel"),
                config.integer("postCall.maxQueued"), registry);
        outputs.onRecordingToTranscribe(rec -> postCall.create(rec.getString("id"), null, null, null, null));
        if (cluster != null) rooms.setNode(cluster.name());
        rooms.load().await(120, TimeUnit.SECONDS);
        outputs.load(rooms::isLocal, cluster == null).await(120, TimeUnit.SECONDS);
        postCall.load(rooms::isLocal).await(120, TimeUnit.SECONDS);
        ingest.listen().await(30, TimeUnit.SECONDS);

        api = new ApiServer(vertx, config, rooms, ingest, transcription, outputs, postCall, webhooks, store, registry, cluster);
        api.listen().await(30, TimeUnit.SECONDS);
        if (cluster != null) {
            List<String> mine = rooms.rooms().stream().map(io.roomcast.room.Room::roomId).toList();
            vertx.executeBlocking(() -> {
                cluster.ownAll(mine);
                return null;
            }).await(60, TimeUnit.SECONDS);
            cluster.onNodeLost(this::takeOver);
            // Plain threads, not Vert.x workers: these block on the store and on the other node.
            placing = java.util.concurrent.Executors.newSingleThreadExecutor(daemon("roomcast-placement"));
            adopting = java.util.concurrent.Executors.newSingleThreadExecutor(daemon("roomcast-adopt"));
            vertx.eventBus().<io.vertx.core.json.JsonObject>consumer(io.roomcast.cluster.Cluster.placeAddress(cluster.name()), msg -> {
                String roomId = msg.body().getString("roomId");
                placing.execute(() -> {
                    String node;
                    try {
                        node = placeSession(roomId);
                    } catch (Exception e) {
                        LOG.warning("placing the session of room " + roomId + ": " + e);
                        node = cluster.name();
                    }
                    msg.reply(node);
                });
            });
            vertx.eventBus().<io.vertx.core.json.JsonObject>consumer(io.roomcast.cluster.Cluster.adoptAddress(cluster.name()),
                    msg -> adopting.execute(() -> {
                        try {
                            adopt(msg.body().getString("roomId"));
                            justPlaced.put(msg.body().getString("roomId"), System.nanoTime());
                            cluster.placedHere(); // handed over for a new session, which runs here
                            msg.reply("adopted");
                        } catch (Exception e) {
                            msg.fail(500, String.valueOf(e));
                        }
                    }));
            cluster.start(vertx, new io.vertx.core.json.JsonObject().put("http", api.port())
                    .put("rtpHost", config.str("rtp.publicHost")).put("rtpPort", ingest.port()), registry);
        }
        LOG.info(() -> "Roomcast API on http://" + config.str("http.host") + ":" + api.port()
                + " (transport: " + (vertx.isNativeTransportEnabled() ? "native epoll" : "NIO") + ")");
        if (config.usesDevelopmentJwtSecret()) {
            LOG.warning("the development JWT secret is in use: set ROOMCAST_JWT_SECRET before exposing this server");
        }
    }

    /**
     * On the oldest survivor, for a node that left without saying so: its rooms become this node's
     * (read back from the shared store, their sessions ended), and its interrupted recordings are
     * finalized from the parts it had uploaded.
     */
    private void takeOver(String lostNode) {
        List<String> lostRooms = cluster.roomsOf(lostNode);
        java.util.Set<String> adopted = new java.util.HashSet<>();
        for (String roomId : lostRooms) {
            try {
                rooms.adopt(roomId);
                cluster.own(roomId);
                adopted.add(roomId);
            } catch (Exception e) {
                LOG.warning("could not take over room " + roomId + " of " + lostNode + ": " + e);
            }
        }
        LOG.info(() -> "took over " + adopted.size() + " rooms of " + lostNode);
        outputs.recoverRooms(adopted);
        postCall.resumeRooms(adopted);
    }

    /**
     * On the room's node, before a join: where the room's next session runs. A room with an ongoing
     * session stays; otherwise the least loaded node under the ceiling takes it (this one on a tie),
     * so a session is placed by measured load when its first participant joins.
     */
    private String placeSession(String roomId) throws Exception {
        if (!rooms.isLocal(roomId)) {
            String owner = cluster.owner(roomId);
            return owner == null ? cluster.name() : owner;
        }
        if (rooms.activeSession(roomId) != null) return cluster.name();
        // Participants of a new session join at nearly the same moment: the first placement holds.
        Long placed = justPlaced.get(roomId);
        if (placed != null && System.nanoTime() - placed < 10_000_000_000L) return cluster.name();
        justPlaced.values().removeIf(t -> System.nanoTime() - t > 10_000_000_000L);
        justPlaced.put(roomId, System.nanoTime());
        String best = cluster.placeFor(cluster.name());
        if (best == null || best.equals(cluster.name()) || !rooms.release(roomId)) {
            if (best != null) cluster.placedHere(); // the new session runs here
            return cluster.name();
        }
        try {
            vertx.eventBus().request(io.roomcast.cluster.Cluster.adoptAddress(best), new io.vertx.core.json.JsonObject().put("roomId", roomId))
                    .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
            outputs.forgetRoom(roomId);
            postCall.forgetRoom(roomId);
            LOG.info(() -> "room " + roomId + " placed on " + best + " (less loaded) for its next session");
            return best;
        } catch (Exception e) {
            LOG.warning("could not move room " + roomId + " to " + best + "; it stays here: " + e);
            adopt(roomId);
            return cluster.name();
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** Makes a room this node's: its manifests, outputs and jobs read from the store, the cluster map updated. */
    private void adopt(String roomId) throws Exception {
        rooms.adopt(roomId);
        outputs.recoverRooms(java.util.Set.of(roomId));
        postCall.resumeRooms(java.util.Set.of(roomId));
        cluster.own(roomId);
    }

    /** {@code auto}: x264 when this build has it (the gpl profile), else OpenH264. */
    static String videoEncoder(String configured) {
        if (!configured.equals("auto")) return configured;
        var x264 = org.bytedeco.ffmpeg.global.avcodec.avcodec_find_encoder_by_name("libx264");
        return x264 != null && !x264.isNull() ? "libx264" : "libopenh264";
    }

    public OutputService outputs() {
        return outputs;
    }

    public int httpPort() {
        return api.port();
    }

    /** The store's endpoint as a client sees it. */
    public URI s3Endpoint() {
        return embeddedS3 != null ? embeddedS3.endpoint() : URI.create(config.str("s3.endpoint"));
    }

    public Vertx vertx() {
        return vertx;
    }

    public ObjectStore store() {
        return store;
    }

    public AudioMixer mixer() {
        return mixer;
    }

    public RtpIngest ingest() {
        return ingest;
    }

    /** The UDP port RTP is received on (the configured one, or the one the OS chose for 0). */
    public int rtpPort() {
        return ingest.port();
    }

    public ApiServer api() {
        return api;
    }

    public RoomService rooms() {
        return rooms;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Stops serving, then releases the store and Vert.x. Safe to call more than once. */
    public synchronized void stop() {
        if (stopped) return;
        stopped = true;
        try {
            if (api != null) api.close().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warning("closing the API: " + e);
        }
        if (outputs != null) outputs.close(config.lng("outputs.shutdownWaitSeconds") * 1000);
        if (ingest != null) {
            try {
                ingest.close().await(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.warning("closing the RTP ingest: " + e);
            }
        }
        if (postCall != null) postCall.close();
        if (transcription != null) transcription.close();
        if (rooms != null) rooms.close();
        if (webhooks != null) webhooks.close();
        if (store != null) store.close();
        try {
            vertx.close().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warning("closing Vert.x: " + e);
        }
        if (embeddedS3 != null) {
            try {
                embeddedS3.close();
            } catch (Exception e) {
                LOG.warning("stopping the embedded store: " + e);
            }
        }
        if (placing != null) placing.shutdownNow();
        if (adopting != null) adopting.shutdownNow();
        if (cluster != null) cluster.close();
        registry.close();
    }

    @Override
    public void close() {
        stop();
    }
}
