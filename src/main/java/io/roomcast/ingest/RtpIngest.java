package io.roomcast.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.roomcast.events.Events;
import io.roomcast.room.Participant;
import io.roomcast.room.RoomService.TrackBinding;
import io.roomcast.room.RoomService;
import io.roomcast.room.Session;
import io.roomcast.room.Track;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.datagram.DatagramPacket;
import io.vertx.core.datagram.DatagramSocket;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;

import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Logger;

/**
 * The node's one RTP/RTCP port. The socket handler stays cheap: it checks the datagram, finds the
 * track by SSRC, enforces source latching and rate limits, counts, and hands the packet to the
 * room's media thread. Nothing is thrown out of it; every refusal is counted by reason.
 */
public final class RtpIngest implements RoomService.TrackListener {
    private static final Logger LOG = Logger.getLogger(RtpIngest.class.getName());
    /** The SSRC Roomcast uses as the sender of its RTCP feedback. */
    static final long OWN_SSRC = 0x52434153L; // "RCAS"
    /** Netty's default datagram read size; a datagram this long may have been truncated. */
    static final int NETTY_READ_BUFFER = 2048;

    /** Why a datagram was dropped. */
    public enum Drop { MALFORMED, UNKNOWN_SSRC, WRONG_SOURCE, RATE_LIMITED, QUEUE_FULL, OVERSIZE, BAD_RTCP }

    private final Vertx vertx;
    private final RoomService rooms;
    private final Events events;
    private final String host;
    private final int port;
    private final long jitterNanos;
    private final long silenceMillis;
    private final long maxPacketsPerSecond;
    private final int maxQueuedPerRoom;
    private final int maxDatagramBytes;
    private final long keyframeIntervalNanos;
    private final TrackEvents trackEvents;
    private final Latching latching;
    private final SourceLatch latch;
    private final Map<Long, TrackReceiver> receivers = new ConcurrentHashMap<>();
    private final Map<String, RoomPipeline> pipelines = new ConcurrentHashMap<>();
    private final List<MediaSink> sinks = new CopyOnWriteArrayList<>();
    private final EnumMap<Drop, Counter> drops = new EnumMap<>(Drop.class);
    private final Counter rtpAudio;
    private final Counter rtpVideo;
    private final Counter rtcp;
    private final Counter keyframeRequests;
    private final FeedbackOpeners openers = new FeedbackOpeners();
    private DatagramSocket socket;
    private long silenceTimer = -1;

    /** Config sections {@code rtp} and {@code ingest}. */
    public record Settings(String host, int port, long jitterMillis, long silenceSeconds, long maxPacketsPerSecond,
                           int maxQueuedPerRoom, int maxDatagramBytes, long keyframeIntervalMillis, long relatchAfterMillis) {
    }

    public RtpIngest(Vertx vertx, RoomService rooms, Events events, Settings settings, MeterRegistry registry) {
        this.vertx = vertx;
        this.rooms = rooms;
        this.events = events;
        this.host = settings.host();
        this.port = settings.port();
        this.jitterNanos = settings.jitterMillis() * 1_000_000L;
        this.silenceMillis = settings.silenceSeconds() * 1000L;
        this.maxPacketsPerSecond = settings.maxPacketsPerSecond();
        this.maxQueuedPerRoom = settings.maxQueuedPerRoom();
        this.maxDatagramBytes = settings.maxDatagramBytes();
        this.keyframeIntervalNanos = settings.keyframeIntervalMillis() * 1_000_000L;
        this.trackEvents = new TrackEvents(rooms, events);
        this.latching = new Latching();
        this.latch = new SourceLatch(settings.relatchAfterMillis(), latching);
        for (Drop d : Drop.values()) drops.put(d, registry.counter("roomcast_rtp_dropped_total", "reason", d.name().toLowerCase()));
        rtpAudio = registry.counter("roomcast_rtp_packets_total", "kind", "audio");
        rtpVideo = registry.counter("roomcast_rtp_packets_total", "kind", "video");
        rtcp = registry.counter("roomcast_rtcp_packets_total");
        keyframeRequests = registry.counter("roomcast_keyframe_requests_total");
        registry.gauge("roomcast_ingest_queue_depth", receivers, r -> pipelines.values().stream().mapToInt(RoomPipeline::queued).sum());
        registry.gauge("roomcast_ingest_tracks", receivers, Map::size);
        FunctionCounter.builder("roomcast_rtp_lost_total", receivers,
                r -> r.values().stream().mapToLong(t -> t.stats.lost.get()).sum()).register(registry);
        FunctionCounter.builder("roomcast_frames_decoded_total", receivers,
                r -> r.values().stream().mapToLong(t -> t.stats.framesDecoded.get()).sum()).register(registry);
        rooms.addListener(this);
    }

    public Future<Void> listen() {
        // No receive buffer size: Vert.x would also use it as the size of the buffer it allocates (and
        // zeroes) for every datagram, which cost 0.06 core per participant at 4 MB. The kernel default
        // socket buffer stays; Netty reads into 2048-byte buffers.
        socket = vertx.createDatagramSocket(new DatagramSocketOptions());
        socket.handler(this::datagram);
        silenceTimer = vertx.setPeriodic(1000, t -> trackEvents.checkSilence(receivers.values(), silenceMillis));
        return socket.listen(port, host).map(s -> {
            LOG.info(() -> "RTP/RTCP ingest on udp " + host + ":" + s.localAddress().port());
            return null;
        });
    }

    public int port() {
        return socket.localAddress().port();
    }

    /** Decoded media of every room goes to this sink too. */
    public void addSink(MediaSink sink) {
        sinks.add(sink);
    }

    public long dropped(Drop reason) {
        return (long) drops.get(reason).count();
    }

    // ---- the socket handler: cheap, never throws ----

    private void datagram(DatagramPacket dp) {
        try {
            Buffer b = dp.data();
            int len = b.length();
            if (len > maxDatagramBytes || len >= NETTY_READ_BUFFER) { // at the read size it may be cut short
                drops.get(Drop.OVERSIZE).increment();
                return;
            }
            byte[] d = b.getBytes();
            if (RtpPacket.isRtcp(d, len)) {
                rtcp(d, len, dp.sender());
                return;
            }
            long ssrc = RtpPacket.peekSsrc(d, len);
            if (ssrc == 0 && len == 12) {
                openers.opened(dp.sender(), receivers.values());
                return;
            }
            TrackReceiver r = ssrc < 0 ? null : receivers.get(ssrc);
            if (r == null) {
                drops.get(ssrc < 0 ? Drop.MALFORMED : Drop.UNKNOWN_SSRC).increment();
                return;
            }
            RtpPacket p;
            try {
                p = RtpPacket.parse(d, len, System.nanoTime());
            } catch (RtpPacket.Malformed e) {
                drops.get(Drop.MALFORMED).increment();
                return;
            }
            SocketAddress from = dp.sender();
            SocketAddress latched = r.source;
            if (latched == null) {
                r.source = from; // the first packet of the SSRC decides where it comes from
                latchedNow(r);
                long[] early = r.earlySenderReport;
                r.earlySenderReport = null;
                if (early != null && from.host().equals(r.earlySenderReportHost)) {
                    RoomPipeline pipeline = pipelines.get(r.binding.sessionId());
                    if (pipeline != null) pipeline.run(() -> r.senderReport(early[0], early[1]));
                }
            } else if (!latched.equals(from)) {
                if (!latch.offer(r, from, p)) latching.refused(r, 1);
                return;
            } else {
                latch.latchedSourceSpoke(r);
            }
            accept(r, p, len);
        } catch (RuntimeException e) {
            drops.get(Drop.MALFORMED).increment();
            LOG.fine(() -> "datagram refused: " + e);
        }
    }

    private void accept(TrackReceiver r, RtpPacket p, int len) {
        if (!r.admit(p.arrivalNanos)) {
            drops.get(Drop.RATE_LIMITED).increment();
            return;
        }
        r.stats.arrived(p, len);
        (r.video ? rtpVideo : rtpAudio).increment();
        RoomPipeline pipeline = pipelines.get(r.binding.sessionId());
        if (pipeline == null || !pipeline.offer(r, p)) {
            r.stats.queueDrops.incrementAndGet();
            drops.get(Drop.QUEUE_FULL).increment();
        }
    }

    /** A source was just latched (first packet or re-latch): a video track takes its feedback opener, if any. */
    private void latchedNow(TrackReceiver r) {
        r.latchedAtMillis = System.currentTimeMillis();
        if (r.video) openers.claim(r);
    }

    /** What {@link SourceLatch} decides, carried out: packets accepted or refused, a restarted sender taken back. */
    private final class Latching implements SourceLatch.Handler {
        @Override
        public void accept(TrackReceiver r, RtpPacket p) {
            RtpIngest.this.accept(r, p, p.data.length); // the datagram's own array
        }

        @Override
        public void refused(TrackReceiver r, int packets) {
            r.stats.wrongSource.addAndGet(packets);
            drops.get(Drop.WRONG_SOURCE).increment(packets);
        }

        @Override
        public void relatched(TrackReceiver r, SocketAddress old) {
            latchedNow(r);
            RoomPipeline pipeline = pipelines.get(r.binding.sessionId());
            if (pipeline != null) pipeline.run(r::sourceChanged);
            LOG.info(() -> "ssrc " + r.binding.track().ssrc() + " re-latched from " + old + " to " + r.source);
            trackEvents.emit(r, "track-source-changed", new JsonObject().put("from", old.toString()).put("to", r.source.toString()));
        }
    }

    private void rtcp(byte[] d, int len, SocketAddress from) {
        List<Rtcp.Part> parts;
        try {
            parts = Rtcp.parse(d, len);
        } catch (Rtcp.Malformed e) {
            drops.get(Drop.BAD_RTCP).increment();
            return;
        }
        rtcp.increment();
        for (Rtcp.Part part : parts) {
            if (part instanceof Rtcp.Bye bye) {
                for (long ssrc : bye.ssrcs()) {
                    TrackReceiver r = receivers.get(ssrc);
                    if (fromSender(r, from) && !r.silent) {
                        r.silent = true; // announced now rather than after the silence timeout
                        trackEvents.announce(r, true, "bye");
                    }
                }
            } else if (part instanceof Rtcp.ReceiverReport rr) {
                noteRtcpSource(receivers.get(rr.ssrc()), from);
            } else if (part instanceof Rtcp.SenderReport sr) {
                TrackReceiver r = receivers.get(sr.ssrc());
                noteRtcpSource(r, from);
                if (r != null && r.source == null) {
                    // Senders report before their first packet: kept until that packet latches the
                    // source, then used if it came from the same host, so sync holds from the start.
                    r.earlySenderReport = new long[] {sr.rtpTimestamp(), sr.unixMicros()};
                    r.earlySenderReportHost = from.host();
                    continue;
                }
                if (!fromSender(r, from)) continue;
                RoomPipeline pipeline = pipelines.get(r.binding.sessionId());
                if (pipeline != null) pipeline.run(() -> r.senderReport(sr.rtpTimestamp(), sr.unixMicros()));
            }
        }
    }

    /**
     * RTCP that a track's sender sends from a socket other than its RTP one (Janus's forwarder with an
     * RTCP port) shows where that sender reads feedback: keyframe requests go there.
     */
    private static void noteRtcpSource(TrackReceiver r, SocketAddress from) {
        if (fromSender(r, from) && !from.equals(r.source) && !from.equals(r.rtcpSource)) r.rtcpSource = from;
    }

    /**
     * RTCP about a track counts only from the host its RTP is latched to; the port may differ, as
     * senders without rtcp-mux send RTCP from a socket of its own.
     */
    private static boolean fromSender(TrackReceiver r, SocketAddress from) {
        return r != null && r.source != null && r.source.host().equals(from.host());
    }

    /**
     * A keyframe request where the sender listens: the address its RTCP comes from, else its RTP source.
     * PLI (RFC 4585) first, then PLI and FIR (RFC 5104) on repeats, for senders that answer only one of
     * them. The first ask of each need is also a {@code keyframe-needed} event, for SFUs whose keyframe
     * request is an API call (mediasoup's {@code consumer.requestKeyFrame()}).
     */
    private void requestKeyframe(TrackReceiver r, int repeat) {
        if (repeat == 0) trackEvents.emit(r, "keyframe-needed", new JsonObject());
        // A re-created forwarder reads feedback on a new socket, and may even go on with the old one's
        // sequence numbers (Janus does): a restart, or a request the current address did not answer,
        // takes a fresh opener of the host.
        if (repeat > 0 || System.currentTimeMillis() - r.restartedAtMillis <= FeedbackOpeners.WINDOW_MILLIS) openers.claim(r);
        SocketAddress rtcpTo = r.rtcpSource;
        SocketAddress to = rtcpTo != null ? rtcpTo : r.source;
        if (to == null || socket == null) return;
        keyframeRequests.increment();
        long ssrc = r.binding.track().ssrc();
        socket.send(Buffer.buffer(Rtcp.pli(OWN_SSRC, ssrc)), to.port(), to.host());
        if (repeat > 0) socket.send(Buffer.buffer(Rtcp.fir(OWN_SSRC, ssrc, repeat & 0xff)), to.port(), to.host());
    }

    // ---- track lifecycle (from RoomService) ----

    @Override
    public void bound(TrackBinding b) {
        TrackReceiver old = receivers.remove(b.track().ssrc());
        if (old != null) closeReceiver(old); // before the new one is added: pipelines index receivers by SSRC
        long start = Instant.parse(rooms.session(b.sessionId()).start()).toEpochMilli() * 1000;
        RoomPipeline pipeline = pipelines.computeIfAbsent(b.sessionId(),
                id -> new RoomPipeline(b.roomId(), id, start, maxQueuedPerRoom, sinks));
        TrackReceiver r = new TrackReceiver(b, start, jitterNanos, maxPacketsPerSecond, keyframeIntervalNanos, sinks,
                this::requestKeyframe);
        pipeline.add(r);
        receivers.put(b.track().ssrc(), r);
    }

    @Override
    public void unbound(TrackBinding b) {
        TrackReceiver r = receivers.get(b.track().ssrc());
        if (r != null && r.binding.equals(b) && receivers.remove(b.track().ssrc(), r)) closeReceiver(r);
    }

    private void closeReceiver(TrackReceiver r) {
        RoomPipeline pipeline = pipelines.get(r.binding.sessionId());
        if (pipeline != null) pipeline.remove(r.binding.track().ssrc());
    }

    @Override
    public void sessionEnded(String roomId, String sessionId) {
        RoomPipeline pipeline = pipelines.remove(sessionId);
        if (pipeline != null) pipeline.close();
    }

    /**
     * Runs {@code task} on the media thread of an ongoing session, starting that thread when the
     * session has no track yet (outputs of a room without media still run on the session clock).
     * False when the session is not ongoing.
     */
    public boolean runOnMediaThread(String roomId, String sessionId, Runnable task) {
        RoomPipeline pipeline;
        synchronized (this) {
            pipeline = pipelines.get(sessionId);
            if (pipeline == null) {
                Session s = rooms.activeSession(roomId);
                if (s == null || !s.sessionId().equals(sessionId)) return false;
                long start = Instant.parse(s.start()).toEpochMilli() * 1000;
                pipeline = pipelines.computeIfAbsent(sessionId, id -> new RoomPipeline(roomId, id, start, maxQueuedPerRoom, sinks));
            }
        }
        return pipeline.run(task);
    }

    // ---- observability ----

    /** The stats of a participant's tracks in the room's ongoing session, or null when not there. */
    public JsonObject participantStats(String roomId, String participantId) {
        Participant p = rooms.participant(roomId, participantId);
        if (p == null || !p.present()) return null;
        JsonArray tracks = new JsonArray();
        for (Track t : p.tracks()) {
            TrackReceiver r = receivers.get(t.ssrc());
            JsonObject stats = r != null && r.binding.participantId().equals(participantId)
                    ? r.stats.toJson() : new TrackStats(t.clockRate()).toJson();
            tracks.add(new JsonObject().put("ssrc", t.ssrc()).put("kind", t.kind()).put("source", t.source())
                    .put("codec", t.codec()).put("status", r != null && r.silent ? "silent" : "active")
                    .mergeIn(stats));
        }
        return new JsonObject().put("roomId", roomId).put("participantId", participantId)
                .put("name", p.name()).put("tracks", tracks);
    }

    public Future<Void> close() {
        if (silenceTimer >= 0) vertx.cancelTimer(silenceTimer);
        for (RoomPipeline pipeline : pipelines.values()) pipeline.close();
        for (RoomPipeline pipeline : pipelines.values()) {
            try {
                pipeline.awaitClosed(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        pipelines.clear();
        receivers.clear();
        return socket == null ? Future.succeededFuture() : socket.close();
    }
}
