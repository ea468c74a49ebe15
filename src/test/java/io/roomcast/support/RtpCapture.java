package io.roomcast.support;

import io.roomcast.ingest.RtpPacket;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Arrays;
import java.util.List;

/**
 * Records the RTP a sender produces, so it can be replayed later paced by its own timestamps from a
 * plain socket: a sender that costs almost no CPU while a node is being measured.
 */
public final class RtpCapture implements AutoCloseable {
    private final DatagramSocket socket;
    private final List<byte[]> packets = new ArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;

    public RtpCapture() throws Exception {
        socket = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        socket.setReceiveBufferSize(8 * 1024 * 1024);
        socket.setSoTimeout(100);
        thread = new Thread(() -> {
            byte[] buf = new byte[2048];
            while (running) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    socket.receive(p);
                    byte[] copy = Arrays.copyOf(p.getData(), p.getLength());
                    if (!RtpPacket.isRtcp(copy, copy.length)) {
                        synchronized (packets) {
                            packets.add(copy);
                        }
                    }
                } catch (SocketTimeoutException e) {
                    // idle
                } catch (Exception e) {
                    return;
                }
            }
        }, "rtp-capture");
        thread.start();
    }

    public int port() {
        return socket.getLocalPort();
    }

    public List<byte[]> packets() {
        synchronized (packets) {
            return new ArrayList<>(packets);
        }
    }

    @Override
    public void close() throws Exception {
        running = false;
        thread.join();
        socket.close();
    }

    /**
     * Replays captured tracks to {@code port} in real time, each paced by its RTP timestamps. Returns
     * the CPU time the replaying thread used, in nanoseconds.
     */
    public static long replay(int port, List<List<byte[]>> tracks, List<Integer> clockRates) throws Exception {
        return replay(Collections.nCopies(tracks.size(), port), tracks, clockRates);
    }

    /** The same, each track to its own port (a peer that takes one stream per port). */
    public static long replay(List<Integer> ports, List<List<byte[]>> tracks, List<Integer> clockRates) throws Exception {
        record Item(long dueNanos, byte[] data, int port) {
        }
        List<Item> all = new ArrayList<>();
        for (int t = 0; t < tracks.size(); t++) {
            List<byte[]> pkts = tracks.get(t);
            long first = RtpPacket.u32(pkts.get(0), 4);
            for (byte[] p : pkts) {
                long ts = (RtpPacket.u32(p, 4) - first) & 0xffffffffL;
                all.add(new Item(ts * 1_000_000_000L / clockRates.get(t), p, ports.get(t)));
            }
        }
        all.sort((a, b) -> Long.compare(a.dueNanos, b.dueNanos));
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long cpu0 = mx.getCurrentThreadCpuTime();
        try (DatagramSocket s = new DatagramSocket()) {
            InetAddress to = InetAddress.getLoopbackAddress();
            long t0 = System.nanoTime();
            for (Item i : all) {
                long wait = t0 + i.dueNanos - System.nanoTime();
                if (wait > 1_000_000) Thread.sleep(wait / 1_000_000);
                s.send(new DatagramPacket(i.data, i.data.length, to, i.port));
            }
        }
        return mx.getCurrentThreadCpuTime() - cpu0;
    }
}
