package io.roomcast.storage;

import java.util.logging.Logger;

/**
 * Store writes that must not be lost: retried with exponential back-off (0.5 s doubling to 10 s)
 * until they succeed, blocking the calling (output or uploader) thread meanwhile. Only an interrupt
 * gives up; the caller's local copy is then what remains.
 */
public final class Retry {
    private static final Logger LOG = Logger.getLogger(Retry.class.getName());

    public interface Attempt {
        void run() throws Exception;
    }

    private Retry() {
    }

    /** Runs {@code attempt} until it succeeds; false when interrupted first. */
    public static boolean untilDone(String what, Attempt attempt) {
        long backoff = 500;
        while (true) {
            try {
                attempt.run();
                return true;
            } catch (Exception e) {
                LOG.warning(what + " not stored yet (" + e.getMessage() + "); retrying in " + backoff + " ms");
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return false;
                }
                backoff = Math.min(backoff * 2, 10_000);
            }
        }
    }
}
