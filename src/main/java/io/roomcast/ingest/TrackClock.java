package io.roomcast.ingest;

/**
 * Maps a track's RTP timestamps to the session clock (microseconds since the session started). Until
 * the sender's first RTCP sender report, the first packet's arrival anchors the mapping; after it, the
 * report's NTP/RTP pair does, which lines up tracks of different participants (lip sync). Between
 * anchors time comes from the RTP timestamps themselves, not from arrival. 32-bit wrap is handled.
 *
 * <p>A report is believed only while it agrees with arrival: media cannot be shown before it came
 * in, nor be put more than {@link #MAX_LAG_MICROS} before it did. A sender whose wall clock is off
 * (browsers on machines without NTP), or whose media runs slower than its reports say, would
 * otherwise be placed where the mix never looks and stay invisible or silent. Such a report is
 * ignored, and a packet that lands outside those bounds re-anchors the track on its own arrival.
 */
public final class TrackClock {
    /** Furthest before its arrival a packet may be placed (network delay, a late burst). */
    static final long MAX_LAG_MICROS = 1_000_000;
    /** Furthest after its arrival a packet may be placed (the first packet's own delay). */
    static final long MAX_LEAD_MICROS = 200_000;
    private final int clockRate;
    private final long sessionStartUnixMicros;
    private boolean anchored;
    private long anchorExtTs;
    private long anchorSessionMicros;
    private long highestExtTs;
    private boolean fromSenderReport;
    private boolean haveArrival;
    private long lastExtTs;
    private long lastArrivalSessionMicros;
    private long reanchors;
    private long reportsIgnored;

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
        long arrival = arrivalUnixMicros - sessionStartUnixMicros;
        long micros = at(ext);
        if (arrival - micros > MAX_LAG_MICROS || micros - arrival > MAX_LEAD_MICROS) {
            anchorExtTs = ext;
            anchorSessionMicros = arrival;
            fromSenderReport = false;
            reanchors++;
            micros = arrival;
        }
        haveArrival = true;
        lastExtTs = ext;
        lastArrivalSessionMicros = arrival;
        return micros;
    }

    private long at(long ext) {
        return anchorSessionMicros + (ext - anchorExtTs) * 1_000_000L / clockRate;
    }

    /** A sender report: this RTP timestamp was taken at this wall-clock time. */
    public void senderReport(long rtpTimestamp, long unixMicros) {
        long ext = anchored ? extend(rtpTimestamp) : (1L << 32) + rtpTimestamp;
        if (haveArrival) {
            // Where this report would put the last packet, against when that packet came in.
            long placed = unixMicros - sessionStartUnixMicros - (ext - lastExtTs) * 1_000_000L / clockRate;
            long lag = lastArrivalSessionMicros - placed;
            if (lag > MAX_LAG_MICROS || lag < -MAX_LEAD_MICROS) {
                reportsIgnored++;
                return;
            }
        }
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
        haveArrival = false;
    }

    /** Times a packet landed too far from its arrival and the track was anchored on it again. */
    public long reanchors() {
        return reanchors;
    }

    /** Sender reports not believed because they disagreed with arrival. */
    public long reportsIgnored() {
        return reportsIgnored;
    }

    public boolean synchronizedBySenderReport() {
        return fromSenderReport;
    }
}
