package io.roomcast.ingest;

/**
 * Maps a track's RTP timestamps to the session clock (microseconds since the session started). Until
 * the sender's first RTCP sender report, the first packet's arrival anchors the mapping; after it, the
 * report's NTP/RTP pair does, which lines up tracks of different participants (lip sync). Between
 * anchors time comes from the RTP timestamps themselves, not from arrival. 32-bit wrap is handled.
 */
public final class TrackClock {
    private final int clockRate;
    private final long sessionStartUnixMicros;
    private boolean anchored;
    private long anchorExtTs;
    private long anchorSessionMicros;
    private long highestExtTs;
    private boolean fromSenderReport;

    public TrackClock(int clockRate, long sessionStartUnixMicros) {
        this.clockRate = clockRate;
        this.sessionStartUnixMicros = sessionStartUnixMicros;
    }

    private long extend(long ts) {
        if (!anchored) return (1L << 32) + ts;
        long delta = (int) (ts - (highestExtTs & 0xffffffffL));
        return highestExtTs + delta;
    }

    /** The session time of an RTP timestamp; the first call anchors on {@code arrivalUnixMicros}. */
    public long sessionMicros(long rtpTimestamp, long arrivalUnixMicros) {
        long ext = extend(rtpTimestamp);
        if (!anchored) {
            anchored = true;
            highestExtTs = ext;
            anchorExtTs = ext;
            anchorSessionMicros = arrivalUnixMicros - sessionStartUnixMicros;
        }
        if (ext > highestExtTs) highestExtTs = ext;
        return anchorSessionMicros + (ext - anchorExtTs) * 1_000_000L / clockRate;
    }

    /** A sender report: this RTP timestamp was taken at this wall-clock time. */
    public void senderReport(long rtpTimestamp, long unixMicros) {
        long ext = anchored ? extend(rtpTimestamp) : (1L << 32) + rtpTimestamp;
        if (!anchored) {
            anchored = true;
            highestExtTs = ext;
        }
        anchorExtTs = ext;
        anchorSessionMicros = unixMicros - sessionStartUnixMicros;
        fromSenderReport = true;
    }

    /**
     * The sender restarted (new timestamp base): the next packet anchors afresh on its arrival, and
     * the next sender report lines it up again.
     */
    public void restart() {
        anchored = false;
        fromSenderReport = false;
    }

    public boolean synchronizedBySenderReport() {
        return fromSenderReport;
    }
}
