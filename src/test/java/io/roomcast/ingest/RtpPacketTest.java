package io.roomcast.ingest;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 3550 header parsing with crafted packets, malformed ones included; RTCP parsing and writing. */
class RtpPacketTest {
    static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
        return b;
    }

    @Test
    void plainHeader() throws Exception {
        byte[] d = RtpPacket.build(111, true, 65535, 0xFFFFFFF0L, 0xDEADBEEFL, new byte[] {1, 2, 3});
        RtpPacket p = RtpPacket.parse(d, d.length, 7);
        assertEquals(111, p.payloadType);
        assertTrue(p.marker);
        assertEquals(65535, p.sequence);
        assertEquals(0xFFFFFFF0L, p.timestamp);
        assertEquals(0xDEADBEEFL, p.ssrc);
        assertEquals(12, p.payloadOffset);
        assertEquals(3, p.payloadLength);
        assertEquals(0xDEADBEEFL, RtpPacket.peekSsrc(d, d.length));
        assertFalse(RtpPacket.isRtcp(d, d.length));
    }

    @Test
    void csrcExtensionAndPadding() throws Exception {
        // V=2 P=1 X=1 CC=2, PT 96, then 2 CSRCs, a one-word extension, payload AA BB, 2 bytes of padding.
        byte[] d = bytes(0xB2, 0x60, 0, 1, 0, 0, 0, 10, 0, 0, 0, 42,
                0, 0, 0, 1, 0, 0, 0, 2,
                0xBE, 0xDE, 0, 1, 0x10, 0xFF, 0, 0,
                0xAA, 0xBB, 0, 2);
        RtpPacket p = RtpPacket.parse(d, d.length, 0);
        assertEquals(2, p.csrcCount);
        assertEquals(28, p.payloadOffset);
        assertEquals(2, p.payloadLength);
        assertEquals((byte) 0xAA, p.data[p.payloadOffset]);
    }

    @Test
    void malformedPacketsAreRefusedWithAReason() {
        assertEquals(RtpPacket.Reject.TOO_SHORT, reason(bytes(0x80, 0x60, 0, 1)));
        assertEquals(RtpPacket.Reject.BAD_VERSION, reason(bytes(0x40, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1)));
        // CC=15 claims 60 bytes of CSRCs that are not there.
        assertEquals(RtpPacket.Reject.BAD_CSRC, reason(bytes(0x8F, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0)));
        // The extension claims 255 words.
        assertEquals(RtpPacket.Reject.BAD_EXTENSION, reason(bytes(0x90, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xBE, 0xDE, 0, 0xFF)));
        assertEquals(RtpPacket.Reject.BAD_EXTENSION, reason(bytes(0x90, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xBE)));
        // Padding longer than the packet, and padding count zero.
        assertEquals(RtpPacket.Reject.BAD_PADDING, reason(bytes(0xA0, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 9, 200)));
        assertEquals(RtpPacket.Reject.BAD_PADDING, reason(bytes(0xA0, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 9, 0)));
    }

    static RtpPacket.Reject reason(byte[] d) {
        return assertThrows(RtpPacket.Malformed.class, () -> RtpPacket.parse(d, d.length, 0)).reason;
    }

    @Test
    void senderReportSdesAndByeInOneCompound() throws Exception {
        // SR: ssrc 0x11, NTP 0x83AA7E80.80000000 (1970-01-01 + 0.5 s), RTP ts 1000, 5 packets, 500 octets.
        byte[] sr = bytes(0x80, 200, 0, 6, 0, 0, 0, 0x11, 0x83, 0xAA, 0x7E, 0x80, 0x80, 0, 0, 0, 0, 0, 0x03, 0xE8,
                0, 0, 0, 5, 0, 0, 0x01, 0xF4);
        byte[] sdes = bytes(0x81, 202, 0, 3, 0, 0, 0, 0x11, 1, 2, 'h', 'i', 0, 0, 0, 0);
        byte[] bye = bytes(0x81, 203, 0, 1, 0, 0, 0, 0x11);
        byte[] all = new byte[sr.length + sdes.length + bye.length];
        System.arraycopy(sr, 0, all, 0, sr.length);
        System.arraycopy(sdes, 0, all, sr.length, sdes.length);
        System.arraycopy(bye, 0, all, sr.length + sdes.length, bye.length);
        assertTrue(RtpPacket.isRtcp(all, all.length));
        List<Rtcp.Part> parts = Rtcp.parse(all, all.length);
        assertEquals(3, parts.size());
        Rtcp.SenderReport s = assertInstanceOf(Rtcp.SenderReport.class, parts.get(0));
        assertEquals(0x11, s.ssrc());
        assertEquals(1000, s.rtpTimestamp());
        assertEquals(500_000, s.unixMicros());
        assertEquals("hi", assertInstanceOf(Rtcp.Sdes.class, parts.get(1)).cname());
        assertEquals(List.of(0x11L), assertInstanceOf(Rtcp.Bye.class, parts.get(2)).ssrcs());
    }

    @Test
    void malformedRtcpIsRefused() {
        assertThrows(Rtcp.Malformed.class, () -> Rtcp.parse(bytes(0x80, 200, 0, 6, 0, 0), 6));
        assertThrows(Rtcp.Malformed.class, () -> Rtcp.parse(bytes(0x80, 200, 0, 0x40, 0, 0, 0, 1), 8));
        assertThrows(Rtcp.Malformed.class, () -> Rtcp.parse(bytes(0x9F, 203, 0, 1, 0, 0, 0, 1), 8));
        assertThrows(Rtcp.Malformed.class, () -> Rtcp.parse(bytes(0x40, 200, 0, 1, 0, 0, 0, 1), 8));
    }

    @Test
    void pliAndFirFollowTheRfcs() throws Exception {
        byte[] pli = Rtcp.pli(1, 0xABCDEF01L);
        assertEquals(12, pli.length);
        assertEquals(0x81, pli[0] & 0xff); // V=2, FMT=1
        assertEquals(206, pli[1] & 0xff);
        assertEquals(2, RtpPacket.u16(pli, 2)); // length in words minus one
        assertEquals(0xABCDEF01L, RtpPacket.u32(pli, 8));
        byte[] fir = Rtcp.fir(1, 0x22, 7);
        assertEquals(0x84, fir[0] & 0xff);
        assertEquals(4, RtpPacket.u16(fir, 2));
        assertEquals(0x22, RtpPacket.u32(fir, 12));
        assertTrue(Rtcp.parse(pli, pli.length).isEmpty(), "feedback parses (and is ignored) as RTCP");
    }
}
