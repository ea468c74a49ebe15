package io.roomcast.ingest;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RTP time onto the session clock: from the first arrival, then from sender reports; 32-bit wrap. */
class TrackClockTest {
    static final long START = 1_700_000_000_000_000L;

    @Test
    void timeComesFromRtpTimestampsNotArrival() {
        TrackClock c = new TrackClock(48000, START);
        assertEquals(250_000, c.sessionMicros(1000, START + 250_000));
        // A packet that arrives late still sits where its timestamp puts it.
        assertEquals(250_000 + 20_000, c.sessionMicros(1960, START + 900_000));
    }

    @Test
    void wrapAround() {
        TrackClock c = new TrackClock(90000, START);
        long first = c.sessionMicros(0xFFFFFF00L, START);
        long after = c.sessionMicros(0x00000100L, START + 5_000);
        assertEquals(512 * 1_000_000L / 90000, after - first);
    }

    @Test
    void senderReportsLineUpTwoTracks() {
        // Audio and video of one sender, whose packets arrived with different network delays.
        TrackClock audio = new TrackClock(48000, START);
        TrackClock video = new TrackClock(90000, START);
        audio.sessionMicros(48000, START + 1_000_000 + 30_000);
        video.sessionMicros(90000, START + 1_000_000 + 120_000);
        // The sender says both timestamps were taken at session time 1 s.
        audio.senderReport(48000, START + 1_000_000);
        video.senderReport(90000, START + 1_000_000);
        assertTrue(audio.synchronizedBySenderReport());
        long a = audio.sessionMicros(48000 + 48000, START + 2_000_000 + 30_000);
        long v = video.sessionMicros(90000 + 90000, START + 2_000_000 + 120_000);
        assertEquals(2_000_000, a);
        assertEquals(2_000_000, v);
    }

    @Test
    void aReportFromAClockSecondsBehindIsNotBelieved() {
        // A browser whose machine's clock is 5 s slow: believed, its camera would sit 5 s in the past.
        TrackClock c = new TrackClock(90000, START);
        c.sessionMicros(90000, START + 1_000_000);
        c.senderReport(90000, START + 1_000_000 - 5_000_000);
        assertFalse(c.synchronizedBySenderReport());
        assertEquals(1, c.reportsIgnored());
        assertEquals(2_000_000, c.sessionMicros(180000, START + 2_000_000));
    }

    @Test
    void aReportFromAClockAheadIsNotBelieved() {
        TrackClock c = new TrackClock(48000, START);
        c.sessionMicros(48000, START + 1_000_000);
        c.senderReport(48000, START + 1_000_000 + 3_000_000);
        assertEquals(1, c.reportsIgnored());
        assertEquals(1_500_000, c.sessionMicros(72000, START + 1_500_000));
    }

    @Test
    void aSenderFallingBehindItsReportsIsAnchoredOnArrival() {
        // The report came before the first packet (FFmpeg's muxer sends one at once); the media then
        // runs at half speed, so by its timestamps it falls further and further before its arrival.
        TrackClock c = new TrackClock(90000, START);
        c.senderReport(0, START);
        long last = 0;
        for (int i = 1; i <= 100; i++) {
            long arrival = START + i * 80_000L;
            last = c.sessionMicros(i * 3600L, arrival);
            assertTrue(arrival - START - last <= TrackClock.MAX_LAG_MICROS, "frame " + i + " placed at " + last);
        }
        assertTrue(c.reanchors() >= 1);
        assertFalse(c.synchronizedBySenderReport());
    }
}
