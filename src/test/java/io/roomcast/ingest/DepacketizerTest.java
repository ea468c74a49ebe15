package io.roomcast.ingest;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** VP8 (RFC 7741) and H.264 (RFC 6184) reassembly from crafted payloads, losses included. */
class DepacketizerTest {
    static int seq;

    static RtpPacket rtp(long ts, boolean marker, byte[] payload) throws Exception {
        byte[] d = RtpPacket.build(96, marker, seq++, ts, 5, payload);
        return RtpPacket.parse(d, d.length, 0);
    }

    static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }

    static byte[] b(int... v) {
        byte[] out = new byte[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (byte) v[i];
        return out;
    }

    // ---- VP8 ----

    @Test
    void vp8DescriptorForms() {
        assertEquals(1, Vp8Depacketizer.descriptorLength(b(0x10, 0x00), 0, 2));
        assertEquals(3, Vp8Depacketizer.descriptorLength(b(0x90, 0x80, 0x12, 0x00), 0, 4)); // X, I with 7-bit PID
        assertEquals(4, Vp8Depacketizer.descriptorLength(b(0x90, 0x80, 0x81, 0x23, 0x00), 0, 5)); // 15-bit PID
        assertEquals(6, Vp8Depacketizer.descriptorLength(b(0x90, 0xF0, 0x81, 0x23, 0x05, 0x40, 0x00), 0, 7)); // I L T K
        assertEquals(-1, Vp8Depacketizer.descriptorLength(b(0x90), 0, 1));
        assertEquals(-1, Vp8Depacketizer.descriptorLength(b(0x90, 0x80, 0x81), 0, 3));
    }

    @Test
    void vp8FrameAcrossPacketsWithPictureIds() throws Exception {
        Vp8Depacketizer dep = new Vp8Depacketizer();
        List<EncodedFrame> out = new ArrayList<>();
        // Keyframe (P bit 0) in three packets with a 15-bit picture ID; then a one-packet delta frame.
        dep.packet(rtp(1000, false, cat(b(0x90, 0x80, 0x80, 0x01), b(0x00, 1, 2))), out::add);
        dep.packet(rtp(1000, false, cat(b(0x80, 0x80, 0x80, 0x01), b(3, 4))), out::add);
        dep.packet(rtp(1000, true, cat(b(0x80, 0x80, 0x80, 0x01), b(5))), out::add);
        dep.packet(rtp(4000, true, cat(b(0x10), b(0x01, 9, 9))), out::add);
        assertEquals(2, out.size());
        assertTrue(out.get(0).keyframe());
        assertArrayEquals(b(0x00, 1, 2, 3, 4, 5), out.get(0).data());
        assertEquals(1000, out.get(0).rtpTimestamp());
        assertFalse(out.get(1).keyframe());
    }

    @Test
    void vp8LossBreaksTheFrameAndAMissingStartIsIgnored() throws Exception {
        Vp8Depacketizer dep = new Vp8Depacketizer();
        List<EncodedFrame> out = new ArrayList<>();
        dep.packet(rtp(1000, false, cat(b(0x10), b(0x00, 1))), out::add);
        dep.lost();
        dep.packet(rtp(1000, true, cat(b(0x00), b(3))), out::add);
        assertTrue(out.isEmpty(), "a frame with a hole is not emitted");
        dep.packet(rtp(2000, true, cat(b(0x00), b(7))), out::add); // continuation without a start
        assertTrue(out.isEmpty());
        dep.packet(rtp(3000, true, cat(b(0x10), b(0x00, 8))), out::add);
        assertEquals(1, out.size());
        // A lost marker packet: the next frame's start closes the previous frame.
        dep.packet(rtp(4000, false, cat(b(0x10), b(0x01, 1))), out::add);
        dep.packet(rtp(5000, true, cat(b(0x10), b(0x01, 2))), out::add);
        assertEquals(3, out.size());
    }

    // ---- H.264 ----

    static final byte[] SPS = b(0x67, 0x42, 0x00, 0x1e);
    static final byte[] PPS = b(0x68, 0xce, 0x38, 0x80);
    static final byte[] START = b(0, 0, 0, 1);

    @Test
    void h264StapAThenFuA() throws Exception {
        H264Depacketizer dep = new H264Depacketizer();
        List<EncodedFrame> out = new ArrayList<>();
        // STAP-A carrying SPS and PPS, then an IDR (type 5) in three FU-A fragments.
        dep.packet(rtp(100, false, cat(b(0x78), b(0, 4), SPS, b(0, 4), PPS)), out::add);
        dep.packet(rtp(100, false, cat(b(0x7c, 0x85), b(1, 2))), out::add);
        dep.packet(rtp(100, false, cat(b(0x7c, 0x05), b(3))), out::add);
        dep.packet(rtp(100, true, cat(b(0x7c, 0x45), b(4))), out::add);
        assertEquals(1, out.size());
        EncodedFrame f = out.get(0);
        assertTrue(f.keyframe());
        assertArrayEquals(cat(START, SPS, START, PPS, START, b(0x65, 1, 2, 3, 4)), f.data());
        // A single-NAL delta frame.
        dep.packet(rtp(200, true, b(0x41, 7, 7)), out::add);
        assertFalse(out.get(1).keyframe());
        assertArrayEquals(cat(START, b(0x41, 7, 7)), out.get(1).data());
    }

    @Test
    void h264IdrWithoutParameterSetsGetsTheRememberedOnes() throws Exception {
        H264Depacketizer dep = new H264Depacketizer();
        List<EncodedFrame> out = new ArrayList<>();
        dep.packet(rtp(100, false, SPS), out::add);
        dep.packet(rtp(100, false, PPS), out::add);
        dep.packet(rtp(100, true, b(0x65, 1)), out::add);
        dep.packet(rtp(200, true, b(0x65, 2)), out::add); // a later IDR alone
        assertEquals(2, out.size());
        assertArrayEquals(cat(START, SPS, START, PPS, START, b(0x65, 2)), out.get(1).data());
    }

    @Test
    void h264BrokenFragmentsAreDropped() throws Exception {
        H264Depacketizer dep = new H264Depacketizer();
        List<EncodedFrame> out = new ArrayList<>();
        dep.packet(rtp(100, false, cat(b(0x7c, 0x85), b(1))), out::add);
        dep.lost();
        dep.packet(rtp(100, true, cat(b(0x7c, 0x45), b(4))), out::add);
        assertTrue(out.isEmpty(), "FU-A with a lost middle");
        dep.packet(rtp(200, true, cat(b(0x7c, 0x45), b(4))), out::add);
        assertTrue(out.isEmpty(), "FU-A end without its start");
        dep.packet(rtp(300, true, cat(b(0x78), b(0, 9), SPS)), out::add);
        assertTrue(out.isEmpty(), "STAP-A with a size past the end");
        dep.packet(rtp(400, true, b(0x79, 1)), out::add); // STAP-B: not negotiated
        assertTrue(out.isEmpty());
        dep.packet(rtp(500, true, b(0x41, 1)), out::add);
        assertEquals(1, out.size(), "a clean frame afterwards goes through");
    }
}
