package io.roomcast;

import io.micrometer.core.instrument.MeterRegistry;
import io.roomcast.cluster.Cluster;
import io.roomcast.cluster.ClusterSecurity;
import io.roomcast.config.Config;
import io.roomcast.config.ConfigException;
import io.roomcast.messages.MessageLimits;
import io.roomcast.encode.EncodeGroup;
import io.roomcast.encode.Presets;
import io.roomcast.events.Events;
import io.roomcast.events.Webhooks;
import io.roomcast.ingest.RtpIngest;
import io.roomcast.outbound.OutboundPolicy;
import io.roomcast.output.Outputs;
import io.roomcast.room.RoomService;
import io.roomcast.storage.EmbeddedS3;
import io.roomcast.storage.ObjectStore;
import io.roomcast.transcribe.PostCallService;
import io.roomcast.transcribe.TranscriptionService;
import io.vertx.core.Vertx;
import org.bytedeco.ffmpeg.global.avcodec;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The config read into each stage's typed settings (and the stages built from plain values): the
 * one place that knows the config's key names for the stages (the API reads its own {@code http},
 * {@code auth} and {@code limits}).
 */
final class NodeSettings {
    private NodeSettings() {
    }

    static EmbeddedS3 embeddedS3(Config c) throws Exception {
        return EmbeddedS3.start(c.dataDir().resolve("s3"), c.str("s3.host"), c.integer("s3.port"), c.str("s3.accessKey"),
                c.str("s3.secretKey"), c.str("s3.bucket"));
    }

    static ObjectStore store(Vertx vertx, Config c, URI endpoint) {
        return new ObjectStore(vertx, endpoint, c.str("s3.region"), c.str("s3.accessKey"), c.str("s3.secretKey"),
                c.str("s3.bucket"), c.bool("s3.pathStyle"), Duration.ofSeconds(c.lng("s3.presignSeconds")));
    }

    static RoomService rooms(Vertx vertx, Config c, ObjectStore store, Events events, MeterRegistry registry) {
        return new RoomService(vertx, store, events, c.lng("sessions.graceSeconds") * 1000, c.integer("limits.maxRooms"),
                c.integer("limits.maxParticipantsPerRoom"), registry);
    }

    static Presets presets(Config c) {
        return new Presets(Path.of(c.str("pipelines.dir")).toAbsolutePath(), c.str("pipelines.default"));
    }

    /** Where user-named destinations may be dialled; one policy for every dialler (fails fast on a bad range). */
    static OutboundPolicy outbound(Config c, OutboundPolicy.Resolver names) {
        try {
            return new OutboundPolicy(c.str("outbound.allow"), c.bool("webhooks.allowPrivateAddresses"), names);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("config: " + e.getMessage());
        }
    }

    static Webhooks.Settings webhooks(Config c, OutboundPolicy outbound) {
        return new Webhooks.Settings(c.str("webhooks.secret"), c.integer("webhooks.maxAttempts"),
                c.lng("webhooks.initialBackoffMs"), c.lng("webhooks.maxBackoffMs"), c.lng("webhooks.timeoutMs"),
                c.integer("webhooks.maxPending"), outbound);
    }

    static RtpIngest.Settings ingest(Config c) {
        return new RtpIngest.Settings(c.str("rtp.host"), c.integer("rtp.port"), c.lng("ingest.jitterMs"),
                c.lng("ingest.silenceSeconds"), c.lng("ingest.maxPacketsPerSecondPerTrack"),
                c.integer("ingest.maxQueuedPacketsPerRoom"), c.integer("ingest.maxDatagramBytes"),
                c.lng("ingest.keyframeRequestIntervalMs"), c.lng("ingest.relatchAfterMs"));
    }

    static MessageLimits messages(Config c) {
        return new MessageLimits(c.integer("messages.maxTopicChars"), c.integer("messages.maxMessageChars"),
                c.integer("messages.maxPayloadBytes"), c.lng("messages.perSenderPerSecond"),
                c.integer("messages.maxPersistedPerSession"), c.integer("messages.maxPollOptions"));
    }

    static TranscriptionService.Settings transcription(Config c) {
        return new TranscriptionService.Settings(Path.of(c.str("transcription.modelsDir")).toAbsolutePath(),
                c.str("transcription.defaultLanguage"), c.num("transcription.vadThresholdDb").doubleValue(),
                c.lng("transcription.vadHangoverMs"), c.lng("transcription.partialIntervalMs"),
                c.integer("transcription.maxCaptionsPerTranscription"), c.integer("transcription.maxQueuedFrames"),
                c.lng("transcription.maxLagMs"), c.integer("transcription.threads"));
    }

    static Outputs.Settings outputs(Config c, OutboundPolicy outbound) {
        return new Outputs.Settings(c.dataDir(), videoEncoder(c.str("outputs.videoEncoder")), c.lng("mix.audioDelayMs"),
                c.lng("outputs.rtmpConnectTimeoutMs"), c.integer("limits.maxOutputsPerRoom"),
                c.integer("limits.maxOutputsPerNode"), c.integer("limits.maxRtmpDestinations"),
                c.lng("limits.maxSpillBytesPerRecording"), outbound);
    }

    static PostCallService.Settings postCall(Config c) {
        return new PostCallService.Settings(c.dataDir().resolve("postcall"), c.integer("postCall.concurrency"),
                c.integer("postCall.filesInParallel"), c.integer("postCall.maxQueued"));
    }

    static Cluster cluster(Config c) {
        String host = c.str("cluster.host");
        String name = c.str("cluster.nodeName").isBlank() ? host + ":" + c.integer("cluster.port") : c.str("cluster.nodeName");
        return new Cluster(name, host, c.integer("cluster.port"), c.str("cluster.members"), c.integer("cluster.failureSeconds"),
                c.num("cluster.maxLoad").doubleValue(), c.num("cluster.placementCostCores").doubleValue(), clusterSecurity(c));
    }

    static ClusterSecurity clusterSecurity(Config c) {
        return new ClusterSecurity(c.str("cluster.secret"), c.str("cluster.keyStore"), c.str("cluster.keyStorePassword"),
                c.str("cluster.trustStore"), c.str("cluster.trustStorePassword"));
    }

    /**
     * {@code auto}: x264 when this build has it (the gpl profile); else the machine's own
     * libopenh264 when one is installed (several times faster than the OpenH264 inside JavaCV's
     * FFmpeg, docs/benchmarks.md); else that bundled one, which every machine has.
     */
    static String videoEncoder(String configured) {
        if (!configured.equals("auto")) return configured;
        var x264 = avcodec.avcodec_find_encoder_by_name("libx264");
        if (x264 != null && !x264.isNull()) return "libx264";
        return EncodeGroup.systemOpenH264Available() ? EncodeGroup.SYSTEM_OPENH264 : "libopenh264";
    }
}
