package io.roomcast;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.roomcast.api.ApiServer;
import io.roomcast.api.Backend;
import io.roomcast.cluster.Cluster;
import io.roomcast.cluster.Placement;
import io.roomcast.cluster.RoomMoves;
import io.roomcast.compose.Composition;
import io.roomcast.compose.Layouts;
import io.roomcast.config.Config;
import io.roomcast.encode.Presets;
import io.roomcast.events.Events;
import io.roomcast.events.RoomEventLog;
import io.roomcast.events.Webhooks;
import io.roomcast.ingest.MediaSink;
import io.roomcast.ingest.RtpIngest;
import io.roomcast.mix.AudioMixer;
import io.roomcast.outbound.OutboundPolicy;
import io.roomcast.output.ManifestStore;
import io.roomcast.output.Outputs;
import io.roomcast.output.hls.HlsStreams;
import io.roomcast.messages.Message;
import io.roomcast.messages.MessageService;
import io.roomcast.output.livestream.Livestreams;
import io.roomcast.output.recording.Recordings;
import io.roomcast.room.AutoCloser;
import io.roomcast.room.Room;
import io.roomcast.room.RoomService;
import io.roomcast.storage.EmbeddedS3;
import io.roomcast.storage.ObjectStore;
import io.roomcast.storage.Persister;
import io.roomcast.transcribe.PostCallService;
import io.roomcast.transcribe.TranscriptionService;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;

import java.net.InetAddress;
import java.net.URI;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One Roomcast node, wired in the order of DESIGN.md's flow: the object store (embedded unless an
 * endpoint is configured), rooms, RTP ingest, the mixer and composition, the outputs by kind,
 * transcription, the HTTP API and, when enabled, the cluster. {@link #start} blocks until the node
 * serves; {@link #stop} releases everything once.
 */
public final class Roomcast implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Roomcast.class.getName());
    /** How long a starting node waits for each other node to answer over the event bus. */
    private static final long PEER_CHECK_MS = 8000;

    private final Config config;
    private final Vertx vertx;
    private final PrometheusMeterRegistry registry;
    private Cluster cluster;
    private EmbeddedS3 embeddedS3;
    private ObjectStore store;
    private Persister persister;
    private Webhooks webhooks;
    private RoomService rooms;
    private RtpIngest ingest;
    private TranscriptionService transcription;
    private AudioMixer mixer;
    private Outputs outputs;
    private Recordings recordings;
    private HlsStreams hls;
    private PostCallService postCall;
    private MessageService messages;
    private ApiServer api;
    private Placement placement;
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
            cluster = NodeSettings.cluster(config);
            options.setEventBusOptions(NodeSettings.clusterSecurity(config).eventBusOptions(config.str("cluster.host")));
            try {
                this.vertx = builder.with(options).withClusterManager(cluster.manager()).buildClustered().await(120, TimeUnit.SECONDS);
            } catch (Exception e) {
                cluster.close();
                throw e;
            }
            try {
                cluster.verifyPeers(vertx, PEER_CHECK_MS);
            } catch (IllegalStateException e) {
                vertx.close().await(30, TimeUnit.SECONDS);
                cluster.close();
                throw e;
            }
            LOG.info(() -> "joined the Roomcast cluster as " + cluster.name() + " (" + cluster.manager().getNodes().size() + " members)");
        } else {
            this.vertx = builder.with(options).build();
        }
    }

    /** Starts a node and waits until its API answers. Call from a plain thread, not an event loop. */
    public static Roomcast start(Config config) throws Exception {
        return start(config, InetAddress::getAllByName);
    }

    /**
     * A node whose outbound destinations are looked up by {@code names} instead of the system
     * resolver (an embedder's own DNS, or a test's that changes its answers).
     */
    public static Roomcast start(Config config, OutboundPolicy.Resolver names) throws Exception {
        Roomcast node = new Roomcast(config);
        try {
            node.startParts(names);
            return node;
        } catch (Exception e) {
            node.close();
            throw e;
        }
    }

    private void openStore() throws Exception {
        URI endpoint;
        String configured = config.str("s3.endpoint");
        if (configured.isEmpty()) {
            embeddedS3 = NodeSettings.embeddedS3(config);
            endpoint = embeddedS3.endpoint();
            LOG.info(() -> "embedded S3 store at " + embeddedS3.endpoint() + " keeping objects in " + config.dataDir().resolve("s3"));
        } else {
            endpoint = URI.create(configured);
        }
        store = NodeSettings.store(vertx, config, endpoint);
        store.ensureBucket().await(60, TimeUnit.SECONDS);
    }

    private void startParts(OutboundPolicy.Resolver names) throws Exception {
        openStore();
        OutboundPolicy outbound = NodeSettings.outbound(config, names);
        webhooks = new Webhooks(vertx, NodeSettings.webhooks(config, outbound), registry);
        Events events = new Events(vertx, webhooks);
        RoomEventLog roomEvents = new RoomEventLog(config.integer("events.resumeEventsPerRoom"), config.lng("events.resumeSeconds") * 1000);
        roomEvents.listen(vertx);
        rooms = NodeSettings.rooms(vertx, config, store, events, registry);
        new AutoCloser(vertx, rooms).listen();
        ingest = new RtpIngest(vertx, rooms, events, NodeSettings.ingest(config), registry);
        if ("always".equals(config.str("ingest.decodeVideo"))) {
            ingest.addSink(new MediaSink() { // a stage that always wants pictures keeps every camera decoded
                @Override
                public boolean wantsVideo(String sessionId) {
                    return true;
                }
            });
        }
        transcription = new TranscriptionService(vertx, rooms, events, store, NodeSettings.transcription(config), registry);
        ingest.addSink(transcription);
        mixer = new AudioMixer(rooms, events, config.lng("mix.audioDelayMs"));
        ingest.addSink(mixer);

        Presets presets = NodeSettings.presets(config);
        Outputs.Settings outputSettings = NodeSettings.outputs(config, outbound);
        outputs = new Outputs(vertx, rooms, ingest, events, presets, outputSettings, registry);
        Layouts layouts = new Layouts(rooms, mixer);
        Composition composition = new Composition(rooms, mixer, layouts, outputs.members(), outputSettings.mixDelayMs(),
                outputSettings.videoEncoder(), presets::watermarkImage, registry);
        outputs.composeWith(composition);
        ingest.addSink(composition);
        LOG.info(() -> "video encoder for outputs: " + outputSettings.videoEncoder());
        persister = new Persister(store);
        recordings = new Recordings(outputs, store, new ManifestStore(store, persister, "meta/recordings/"), registry);
        ingest.addSink(recordings.trackCopies());
        hls = new HlsStreams(vertx, outputs, store, new ManifestStore(store, persister, "meta/hls/"));
        Livestreams livestreams = new Livestreams(outputs, new ManifestStore(store, persister, "meta/livestreams/"), registry);
        hls.captionsFrom(transcription);
        postCall = new PostCallService(rooms, events, store, transcription, recordings, NodeSettings.postCall(config), registry);
        messages = new MessageService(vertx, rooms, events, store, NodeSettings.messages(config));
        messages.start();
        MessageService messageLog = messages;
        postCall.messagesFrom((roomId, sessionId) -> messageLog.list(roomId, sessionId, null, -1).await(30, TimeUnit.SECONDS)
                .stream().map(Message::toJson).toList());
        messages.onPublished(m -> hls.message(m.roomId(), m.id(), m.sessionMillis(), m.topic(), m.message(), m.payload()));
        recordings.onRecordingToTranscribe(rec -> postCall.create(rec.getString("id"), null, null, null, null));

        if (cluster != null) rooms.setNode(cluster.name());
        rooms.load().await(120, TimeUnit.SECONDS);
        recordings.load(rooms::isLocal, cluster == null).await(120, TimeUnit.SECONDS);
        hls.load(rooms::isLocal).await(120, TimeUnit.SECONDS);
        livestreams.load(rooms::isLocal).await(120, TimeUnit.SECONDS);
        postCall.load(rooms::isLocal).await(120, TimeUnit.SECONDS);
        ingest.listen().await(30, TimeUnit.SECONDS);

        api = new ApiServer(vertx, config, new Backend(rooms, ingest, transcription, layouts, recordings, livestreams, hls,
                postCall, webhooks, store, outputs, messages, roomEvents), registry, cluster);
        api.listen().await(30, TimeUnit.SECONDS);
        if (cluster != null) joinCluster(layouts, livestreams);
        LOG.info(() -> "Roomcast API on http://" + config.str("http.host") + ":" + api.port()
                + " (transport: " + (vertx.isNativeTransportEnabled() ? "native epoll" : "NIO") + ")");
        if (config.usesDevelopmentJwtSecret()) {
            LOG.warning("the development JWT secret is in use: set ROOMCAST_JWT_SECRET before exposing this server");
        }
    }

    /** Claims this node's rooms in the cluster map, then answers placement and take-over. */
    private void joinCluster(Layouts layouts, Livestreams livestreams) throws Exception {
        List<String> mine = rooms.rooms().stream().map(Room::roomId).toList();
        vertx.executeBlocking(() -> {
            cluster.ownAll(mine);
            return null;
        }).await(60, TimeUnit.SECONDS);
        placement = new Placement(vertx, cluster, rooms, new RoomMoves() {
            @Override
            public void adopt(Set<String> roomIds) {
                if (roomIds.isEmpty()) return;
                try {
                    recordings.recoverRooms(roomIds);
                    hls.recoverRooms(roomIds);
                    livestreams.recoverRooms(roomIds);
                } catch (Exception e) {
                    LOG.log(Level.WARNING, "could not read the outputs of taken-over rooms", e);
                }
                postCall.resumeRooms(roomIds);
            }

            @Override
            public void forget(String roomId) {
                recordings.forgetRoom(roomId);
                hls.forgetRoom(roomId);
                livestreams.forgetRoom(roomId);
                layouts.forget(roomId);
                postCall.forgetRoom(roomId);
            }
        });
        cluster.start(vertx, new JsonObject().put("http", api.port())
                .put("rtpHost", config.str("rtp.publicHost")).put("rtpPort", ingest.port()), registry);
    }

    /** Waits (bounded) until what a restart found interrupted is finalized; for tests. */
    public boolean awaitRecovery(long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        return recordings.awaitRecovery(millis) && hls.awaitRecovery(Math.max(1, deadline - System.currentTimeMillis()));
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
        if (messages != null) {
            try {
                messages.drain().await(10, TimeUnit.SECONDS); // what was accepted in the last second is written too
            } catch (Exception e) {
                LOG.warning("writing the last messages: " + e);
            }
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
        if (persister != null) {
            try {
                // the outputs' last states (a recording's "stopped" with its file) are written before the store closes
                persister.drain().await(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.warning("writing the last manifests: " + e);
            }
        }
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
        if (placement != null) placement.close();
        if (cluster != null) cluster.close();
        registry.close();
    }

    @Override
    public void close() {
        stop();
    }
}
