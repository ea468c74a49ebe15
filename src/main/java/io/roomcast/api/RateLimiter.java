package io.roomcast.api;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Requests per second per token: a token bucket per token (refilled at {@code perSecond}, holding up to
 * two seconds' worth for bursts). Buckets idle for a minute are forgotten by {@link #sweep}.
 */
final class RateLimiter {
    private static final class Bucket {
        double tokens;
        long last;
    }

    private final double perSecond;
    private final double capacity;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    RateLimiter(double perSecond) {
        this.perSecond = perSecond;
        this.capacity = perSecond * 2;
    }

    /** Takes one request from the key's bucket; false when it is empty. */
    boolean allow(String key, long nowNanos) {
        Bucket b = buckets.computeIfAbsent(key, k -> {
            Bucket n = new Bucket();
            n.tokens = capacity;
            n.last = nowNanos;
            return n;
        });
        synchronized (b) {
            b.tokens = Math.min(capacity, b.tokens + (nowNanos - b.last) / 1e9 * perSecond);
            b.last = nowNanos;
            if (b.tokens < 1) return false;
            b.tokens -= 1;
            return true;
        }
    }

    void sweep(long nowNanos) {
        buckets.values().removeIf(b -> {
            synchronized (b) {
                return nowNanos - b.last > 60_000_000_000L;
            }
        });
    }

    int size() {
        return buckets.size();
    }
}
