package io.roomcast.ingest;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        long a = audio.sessionMicros(48000 + 48000, 0);
        long v = video.sessionMicros(90000 + 90000, 0);
        assertEquals(2_000_000, a);
        assertEquals(2_000_000, v);
    }
}
