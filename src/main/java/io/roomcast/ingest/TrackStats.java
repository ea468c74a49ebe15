package io.roomcast.ingest;

import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters of one track. Arrival figures are written by the socket thread, decode figures by the
 * room's media thread; readers (stats endpoint, metrics) see a consistent-enough snapshot.
 */
public final class TrackStats {
    public final AtomicLong packets = new AtomicLong();
    public final AtomicLong bytes = new AtomicLong();
    public final AtomicLong lost = new AtomicLong();
    public final AtomicLong late = new AtomicLong();
    public final AtomicLong duplicates = new AtomicLong();
    public final AtomicLong framesDecoded = new AtomicLong();
    public final AtomicLong framesDropped = new AtomicLong();
    /** Pictures received while no output showed video, so not decoded ({@code ingest.decodeVideo}). */
    public final AtomicLong framesNotDecoded = new AtomicLong();
    public final AtomicLong decodeErrors = new AtomicLong();
    public final AtomicLong keyframeRequests = new AtomicLong();
    public final AtomicLong queueDrops = new AtomicLong();
    /** Keyframes that came in, asked for or not. */
    public final AtomicLong keyframes = new AtomicLong();
    /** Packets of this SSRC refused because they came from another source than the latched one. */
    public final AtomicLong wrongSource = new AtomicLong();
    /** Times the source was re-latched (a sender that restarted from a new port). */
    public final AtomicLong sourceChanges = new AtomicLong();
    /** Sequence/timestamp restarts on the same source (a re-created forwarder). */
    public final AtomicLong restarts = new AtomicLong();
    /** Times the track's timeline was anchored again on arrival (see {@link TrackClock}). */
    public final AtomicLong clockReanchors = new AtomicLong();
    /** Sender reports not believed: their clock disagreed with arrival by more than a second. */
    public final AtomicLong senderReportsIgnored = new AtomicLong();
    /** Whether the sender answers keyframe requests, as measured (video only). */
    public volatile KeyframeResponse keyframeResponse = KeyframeResponse.UNKNOWN;
    private final int clockRate;
    private volatile long lastPacketMillis;
    private volatile double jitter; // RTP timestamp units, RFC 3550 A.8
    private long lastTransit;
    private boolean haveTransit;

    public TrackStats(int clockRate) {
        this.clockRate = clockRate;
    }

    /** Called on arrival (socket thread only): counts and updates the interarrival jitter estimate. */
    public void arrived(RtpPacket p, int datagramBytes) {
        packets.incrementAndGet();
        bytes.addAndGet(datagramBytes);
        lastPacketMillis = System.currentTimeMillis();
        long arrivalUnits = p.arrivalNanos / 1000 * clockRate / 1_000_000;
        long transit = arrivalUnits - p.timestamp;
        if (haveTransit) {
            long d = Math.abs((int) (transit - lastTransit));
            jitter += (d - jitter) / 16.0;
        }
        lastTransit = transit;
        haveTransit = true;
    }

    public long lastPacketMillis() {
        return lastPacketMillis;
    }

    public double jitterMs() {
        return jitter * 1000.0 / clockRate;
    }

    public JsonObject toJson() {
        long last = lastPacketMillis;
        return new JsonObject()
                .put("packets", packets.get())
                .put("bytes", bytes.get())
                .put("lost", lost.get())
                .put("late", late.get())
                .put("duplicates", duplicates.get())
                .put("jitterMs", Math.round(jitterMs() * 100) / 100.0)
                .put("framesDecoded", framesDecoded.get())
                .put("framesDropped", framesDropped.get())
                .put("framesNotDecoded", framesNotDecoded.get())
                .put("decodeErrors", decodeErrors.get())
                .put("keyframeRequests", keyframeRequests.get())
                .put("keyframes", keyframes.get())
                .put("keyframeResponse", keyframeResponse.json())
                .put("wrongSource", wrongSource.get())
                .put("sourceChanges", sourceChanges.get())
                .put("restarts", restarts.get())
                .put("clockReanchors", clockReanchors.get())
                .put("senderReportsIgnored", senderReportsIgnored.get())
                .put("lastPacketAt", last == 0 ? null : Instant.ofEpochMilli(last).toString());
    }
}
