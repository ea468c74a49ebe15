package io.roomcast.output;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The daemon threads that finish what a crash interrupted, off the start-up path, and waiting for them. */
public final class RecoveryThreads {
    private final List<Thread> threads = new CopyOnWriteArrayList<>();

    public void start(String name, Runnable work) {
        Thread t = new Thread(work, name);
        t.setDaemon(true);
        threads.add(t);
        t.start();
    }

    /** Waits (bounded) for every recovery started so far; false when one still runs. */
    public boolean await(long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        for (Thread t : threads) {
            t.join(Math.max(1, deadline - System.currentTimeMillis()));
            if (t.isAlive()) return false;
        }
        return true;
    }
}
