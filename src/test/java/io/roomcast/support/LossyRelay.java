package io.roomcast.support;

import io.roomcast.ingest.RtpPacket;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bad network between sender and node: drops 5 % of RTP packets, reorders 2 % (a packet goes out
 * after the next one) and delays every packet by a random 0-50 ms (jitter; order otherwise kept, as a
 * queue in a router would). RTCP passes untouched but is delayed like the rest.
 */
public final class LossyRelay implements AutoCloseable {
    private static final long JITTER_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private record Due(byte[] bytes, long atNanos) {
    }

    private final DatagramSocket in = new DatagramSocket(0, InetAddress.getLoopbackAddress());
    private final DatagramSocket out = new DatagramSocket();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger dropped = new AtomicInteger();
    private final AtomicInteger reordered = new AtomicInteger();
    private final LinkedBlockingQueue<Due> queue = new LinkedBlockingQueue<>();
    private final Thread receiver;
    private final Thread sender;

    public LossyRelay(int target) throws Exception {
        Random rnd = new Random(99);
        in.setSoTimeout(200);
        receiver = new Thread(() -> {
            byte[] buf = new byte[2048];
            byte[] held = null;
            long lastDue = 0;
            while (running.get()) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    in.receive(p);
                    byte[] copy = Arrays.copyOf(p.getData(), p.getLength());
                    boolean rtcp = RtpPacket.isRtcp(copy, copy.length);
                    if (!rtcp && rnd.nextDouble() < 0.05) {
                        dropped.incrementAndGet();
                        continue;
                    }
                    if (!rtcp && held == null && rnd.nextDouble() < 0.02) {
                        held = copy; // goes out after the next packet: reordered
                        reordered.incrementAndGet();
                        continue;
                    }
                    long due = Math.max(lastDue, System.nanoTime() + (long) (rnd.nextDouble() * JITTER_NANOS));
                    lastDue = due;
                    queue.add(new Due(copy, due));
                    if (held != null) {
                        queue.add(new Due(held, due));
                        held = null;
                    }
                } catch (SocketTimeoutException e) {
                    // idle
                } catch (Exception e) {
                    if (running.get()) throw new IllegalStateException(e);
                }
            }
        }, "lossy-relay-in");
        sender = new Thread(() -> {
            while (running.get() || !queue.isEmpty()) {
                try {
                    Due d = queue.poll(200, TimeUnit.MILLISECONDS);
                    if (d == null) continue;
                    long wait = d.atNanos() - System.nanoTime();
                    if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
                    out.send(new DatagramPacket(d.bytes(), d.bytes().length, InetAddress.getLoopbackAddress(), target));
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    if (running.get()) throw new IllegalStateException(e);
                }
            }
        }, "lossy-relay-out");
        receiver.start();
        sender.start();
    }

    public int dropped() {
        return dropped.get();
    }

    public int reordered() {
        return reordered.get();
    }

    public int port() {
        return in.getLocalPort();
    }

    @Override
    public void close() throws Exception {
        running.set(false);
        receiver.join();
        sender.join();
        in.close();
        out.close();
    }
}
