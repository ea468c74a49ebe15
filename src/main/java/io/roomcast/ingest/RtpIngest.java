package io.roomcast.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.roomcast.events.Events;
import io.roomcast.room.Participant;
import io.roomcast.room.Room;
import io.roomcast.room.RoomService;
import io.roomcast.room.Session;
import io.roomcast.room.RoomService.TrackBinding;
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
    private final long relatchAfterMillis;
    /** Packets in sequence that a new source on the latched host sends before it is taken as the sender. */
    static final int RELATCH_PACKETS = 3;
    /** Packets of a candidate source held while the latched one may still speak (~2.5 s of audio, ~1 s of video). */
    static final int RELATCH_HOLD = 128;
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

    public RtpIngest(Vertx vertx, RoomService rooms, Events events, String host, int port, long jitterMillis,
                     long silenceSeconds, long maxPacketsPerSecond, int maxQueuedPerRoom, int maxDatagramBytes,
                     long keyframeIntervalMillis, long relatchAfterMillis, MeterRegistry registry) {
        this.vertx = vertx;
        this.rooms = rooms;
        this.events = events;
        this.host = host;
        this.port = port;
        this.jitterNanos = jitterMillis * 1_000_000L;
        this.silenceMillis = silenceSeconds * 1000L;
        this.maxPacketsPerSecond = maxPacketsPerSecond;
        this.maxQueuedPerRoom = maxQueuedPerRoom;
        this.maxDatagramBytes = maxDatagramBytes;
        this.keyframeIntervalNanos = keyframeIntervalMillis * 1_000_000L;
        this.relatchAfterMillis = relatchAfterMillis;
        for (Drop d : Drop.values()) drops.put(d, registry.counter("roomcast_rtp_dropped_total", "reason", d.name().toLowerCase()));
        rtpAudio = registry.counter("roomcast_rtp_packets_total", "kind", "audio");
        rtpVideo = registry.counter("roomcast_rtp_packets_total", "kind", "video");
        rtcp = registry.counter("roomcast_rtcp_packets_total");
        keyframeRequests = registry.counter("roomcast_keyframe_requests_total");
        registry.gauge("roomcast_ingest_queue_depth", receivers, r -> pipelines.values().stream().mapToInt(RoomPipeline::queued).sum());
        registry.gauge("roomcast_ingest_tracks", receivers, Map::size);
        io.micrometer.core.instrument.FunctionCounter.builder("roomcast_rtp_lost_total", receivers,
                r -> r.values().stream().mapToLong(t -> t.stats.lost.get()).sum()).register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("roomcast_frames_decoded_total", receivers,
                r -> r.values().stream().mapToLong(t -> t.stats.framesDecoded.get()).sum()).register(registry);
        rooms.addListener(this);
    }

    public Future<Void> listen() {
        // No receive buffer size: Vert.x would also use it as the size of the buffer it allocates (and
        // zeroes) for every datagram, which cost 0.06 core per participant at 4 MB. The kernel default
        // socket buffer stays; Netty reads into 2048-byte buffers.
        socket = vertx.createDatagramSocket(new DatagramSocketOptions());
        socket.handler(this::datagram);
        silenceTimer = vertx.setPeriodic(1000, t -> checkSilence());
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
                r.latchedAtMillis = System.currentTimeMillis();
                if (r.video) openers.claim(r);
                long[] early = r.earlySenderReport;
                r.earlySenderReport = null;
                if (early != null && from.host().equals(r.earlySenderReportHost)) {
                    RoomPipeline pipeline = pipelines.get(r.binding.sessionId());
                    if (pipeline != null) pipeline.run(() -> r.senderReport(early[0], early[1]));
                }
            } else if (!latched.equals(from)) {
                if (!relatch(r, from, p)) {
                    r.stats.wrongSource.incrementAndGet();
                    drops.get(Drop.WRONG_SOURCE).increment();
                }
                return;
            } else if (r.candidate != null) {
                r.candidate = null; // the latched source spoke again: whoever else sent was not a restart
                refuseHeld(r);
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

    /**
     * A sender that restarted from a new port (a process restarted, a forwarder re-created, a NAT
     * rebinding) is taken back without a new join: a new source on the latched host that sends packets
     * in sequence becomes the source once the latched one has been quiet for {@code relatchAfterMillis}
     * and it has sent {@link #RELATCH_PACKETS}. Its packets are held meanwhile (at most
     * {@link #RELATCH_HOLD}) and then all accepted, so a quick restart loses only its own gap. Another
     * host never takes a track over. True when the packet was held.
     */
    private boolean relatch(TrackReceiver r, SocketAddress from, RtpPacket p) {
        if (!from.host().equals(r.source.host())) return false;
        List<RtpPacket> held = r.candidatePackets;
        boolean inSequence = from.equals(r.candidate) && !held.isEmpty()
                && p.sequence == ((held.get(held.size() - 1).sequence + 1) & 0xffff);
        if (!inSequence) {
            refuseHeld(r);
            r.candidate = from;
        }
        held.add(p);
        if (held.size() > RELATCH_HOLD) {
            held.remove(0);
            r.stats.wrongSource.incrementAndGet();
            drops.get(Drop.WRONG_SOURCE).increment();
        }
        boolean quiet = System.currentTimeMillis() - r.stats.lastPacketMillis() >= relatchAfterMillis;
        if (!quiet || held.size() < RELATCH_PACKETS) return true;
        SocketAddress old = r.source;
        r.source = from;
        r.rtcpSource = null;
        r.candidate = null;
        r.latchedAtMillis = System.currentTimeMillis();
        if (r.video) openers.claim(r);
        r.stats.sourceChanges.incrementAndGet();
        RoomPipeline pipeline = pipelines.get(r.binding.sessionId());
        if (pipeline != null) pipeline.run(r::sourceChanged);
        List<RtpPacket> packets = List.copyOf(held);
        held.clear();
        for (RtpPacket q : packets) accept(r, q, q.payloadOffset + q.payloadLength);
        LOG.info(() -> "ssrc " + r.binding.track().ssrc() + " re-latched from " + old + " to " + from);
        emit(r, "track-source-changed", new JsonObject().put("from", old.toString()).put("to", from.toString()));
        return true;
    }

    /** Packets held for a candidate source that did not become the source are refused after all. */
    private void refuseHeld(TrackReceiver r) {
        int n = r.candidatePackets.size();
        if (n == 0) return;
        r.candidatePackets.clear();
        r.stats.wrongSource.addAndGet(n);
        drops.get(Drop.WRONG_SOURCE).increment(n);
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
                        announce(r, true, "bye");
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
        if (repeat == 0) emit(r, "keyframe-needed", new JsonObject());
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

    private void checkSilence() {
        long now = System.currentTimeMillis();
        for (TrackReceiver r : receivers.values()) {
            long last = r.stats.lastPacketMillis();
            if (last == 0) continue;
            boolean quiet = now - last >= silenceMillis;
            if (quiet != r.silent) {
                r.silent = quiet;
                announce(r, quiet, "timeout");
            }
        }
    }

    /** track-silent (reason bye or timeout) or track-resumed, to the room's webhook and event bus. */
    private void announce(TrackReceiver r, boolean silent, String reason) {
        long last = r.stats.lastPacketMillis();
        JsonObject data = new JsonObject().put("lastPacketAt", last == 0 ? null : Instant.ofEpochMilli(last).toString());
        if (silent) data.put("reason", reason);
        emit(r, silent ? "track-silent" : "track-resumed", data);
    }

    /** An event about a track, with the track's room, session, participant, SSRC and kind. */
    private void emit(TrackReceiver r, String type, JsonObject extra) {
        Room room;
        try {
            room = rooms.room(r.binding.roomId());
        } catch (RuntimeException e) {
            return;
        }
        JsonObject data = new JsonObject().put("roomId", r.binding.roomId()).put("sessionId", r.binding.sessionId())
                .put("participantId", r.binding.participantId()).put("ssrc", r.binding.track().ssrc())
                .put("kind", r.binding.track().kind()).mergeIn(extra);
        events.emit(room, type, data);
    }

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
