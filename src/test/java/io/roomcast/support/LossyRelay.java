package io.roomcast.support;

import io.roomcast.ingest.RtpPacket;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** A relay between sender and node that drops 5 %, reorders 2 % and delays up to 30 ms. */
public final class LossyRelay implements AutoCloseable {
    private final DatagramSocket in = new DatagramSocket(0, InetAddress.getLoopbackAddress());
    private final DatagramSocket out = new DatagramSocket();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger dropped = new AtomicInteger();
    private final Thread thread;

    public LossyRelay(int target) throws Exception {
        Random rnd = new Random(99);
        in.setSoTimeout(200);
        thread = new Thread(() -> {
            byte[] buf = new byte[2048];
            List<byte[]> held = new ArrayList<>();
            while (running.get()) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    in.receive(p);
                    byte[] copy = java.util.Arrays.copyOf(p.getData(), p.getLength());
                    boolean rtcp = RtpPacket.isRtcp(copy, copy.length);
                    if (!rtcp && rnd.nextDouble() < 0.05) {
                        dropped.incrementAndGet();
                        continue;
                    }
                    if (!rtcp && rnd.nextDouble() < 0.02) {
                        held.add(copy); // goes out after the next packet: reordered
                        continue;
                    }
                    if (rnd.nextDouble() < 0.1) Thread.sleep(rnd.nextInt(30));
                    out.send(new DatagramPacket(copy, copy.length, InetAddress.getLoopbackAddress(), target));
                    for (byte[] h : held) out.send(new DatagramPacket(h, h.length, InetAddress.getLoopbackAddress(), target));
                    held.clear();
                } catch (SocketTimeoutException e) {
                    // idle
                } catch (Exception e) {
                    if (running.get()) throw new IllegalStateException(e);
                }
            }
        }, "lossy-relay");
        thread.start();
    }

    public int dropped() {
        return dropped.get();
    }

    public int port() {
        return in.getLocalPort();
    }

    @Override
    public void close() throws Exception {
        running.set(false);
        thread.join();
        in.close();
        out.close();
    }
}
