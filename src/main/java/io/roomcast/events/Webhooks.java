package io.roomcast.events;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.roomcast.outbound.OutboundPolicy;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Delivers webhooks: {@code POST {webhookType, data}} signed with HMAC-SHA256 over the exact body bytes
 * ({@value #SIGNATURE_HEADER}: {@code sha256=<hex>}), retried with exponential back-off on errors,
 * timeouts and non-2xx answers. Each URL gets its events one at a time, in the order they happened.
 * Delivery is fully asynchronous and bounded: a slow or dead receiver never blocks the API, and beyond
 * {@code maxPending} deliveries new ones are dropped and counted.
 */
public final class Webhooks {
    public static final String SIGNATURE_HEADER = "X-Roomcast-Signature";
    public static final String ID_HEADER = "X-Roomcast-Webhook-Id";
    public static final String ATTEMPT_HEADER = "X-Roomcast-Attempt";

    private static final Logger LOG = Logger.getLogger(Webhooks.class.getName());

    private final Vertx vertx;
    private final WebClient client;
    private final byte[] secret;
    private final int maxAttempts;
    private final long initialBackoffMs;
    private final long maxBackoffMs;
    private final long timeoutMs;
    private final int maxPending;
    private final OutboundPolicy outbound;
    private final AtomicInteger pending = new AtomicInteger();
    private final Map<String, Lane> lanes = new HashMap<>();
    private final DeliveryLog log = new DeliveryLog();
    private final Counter delivered;
    private final Counter retried;
    private final Counter failed;
    private final Counter dropped;
    private final Counter blocked;

    /** Config section {@code webhooks}. */
    public record Settings(String secret, int maxAttempts, long initialBackoffMs, long maxBackoffMs, long timeoutMs,
                           int maxPending, OutboundPolicy outbound) {
    }

    public Webhooks(Vertx vertx, Settings settings, MeterRegistry registry) {
        String secret = settings.secret();
        int maxAttempts = settings.maxAttempts();
        long initialBackoffMs = settings.initialBackoffMs();
        long maxBackoffMs = settings.maxBackoffMs();
        long timeoutMs = settings.timeoutMs();
        int maxPending = settings.maxPending();
        this.vertx = vertx;
        this.client = WebClient.create(vertx, new WebClientOptions()
                .setFollowRedirects(false)
                .setConnectTimeout((int) Math.min(timeoutMs, Integer.MAX_VALUE))
                .setUserAgent("Roomcast-Webhooks/1"));
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
        this.maxAttempts = maxAttempts;
        this.initialBackoffMs = initialBackoffMs;
        this.maxBackoffMs = maxBackoffMs;
        this.timeoutMs = timeoutMs;
        this.maxPending = maxPending;
        this.outbound = settings.outbound();
        this.delivered = registry.counter("roomcast_webhooks_total", "result", "delivered");
        this.retried = registry.counter("roomcast_webhooks_total", "result", "retried");
        this.failed = registry.counter("roomcast_webhooks_total", "result", "failed");
        this.dropped = registry.counter("roomcast_webhooks_total", "result", "dropped");
        this.blocked = registry.counter("roomcast_webhooks_total", "result", "blocked");
        registry.gauge("roomcast_webhooks_pending", pending);
    }

    /** HMAC-SHA256 of {@code body} with {@code secret}, as lowercase hex: what receivers recompute. */
    public static String sign(byte[] secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }

    /**
     * Refuses a webhook URL a client gives us: only http(s), with a host, at most 2048 characters,
     * and not an address {@link OutboundPolicy} refuses.
     */
    public void validateUrl(String field, String url) {
        validateUrl(field, url, Set.of("http", "https"));
    }

    /** Checks a destination URL: one of {@code schemes}, a host, and an address the outbound policy allows. */
    public void validateUrl(String field, String url, Set<String> schemes) {
        outbound.checkUrl(field, url, schemes);
    }

    /**
     * The host names of destinations a request gives ({@code field -> url}, each already passed
     * {@link #validateUrl}), looked up off the event loop: one that resolves to an address the policy
     * refuses fails the future with the same {@code forbidden_address} refusal a literal gets.
     */
    public Future<Void> checkNames(Map<String, String> urls) {
        if (urls.isEmpty()) return Future.succeededFuture();
        return vertx.executeBlocking(() -> {
            urls.forEach((field, url) -> outbound.checkName(field, URI.create(url)));
            return null;
        }, false);
    }

    /**
     * A delivery's host resolved once (off the event loop) and checked; the delivery then connects
     * to that address, so the name cannot point elsewhere by the time it is dialled.
     */
    private Future<SocketAddress> resolved(String url) {
        URI uri = URI.create(url);
        int port = uri.getPort() > 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
        return vertx.executeBlocking(() -> SocketAddress.inetSocketAddress(port, outbound.resolve(uri.getHost()).getHostAddress()), false);
    }

    /** One delivery waiting its turn. */
    private record Delivery(String url, Buffer body, String signature, String id, String type, DeliveryLog.Entry log) {
    }

    /** Deliveries to one URL go one at a time, in the order the events happened. */
    private static final class Lane {
        final ArrayDeque<Delivery> queue = new ArrayDeque<>();
        boolean busy;
    }

    /** Queues one delivery. Returns false when the queue is full and the event was dropped. */
    public boolean send(String url, String webhookType, JsonObject data) {
        String id = UUID.randomUUID().toString();
        DeliveryLog.Entry entry = log.add(id, data.getString("roomId"), webhookType, url);
        if (pending.incrementAndGet() > maxPending) {
            pending.decrementAndGet();
            dropped.increment();
            entry.attempted(0, "the node's webhook queue was full", DeliveryLog.State.DROPPED);
            LOG.warning(() -> "webhook queue full (" + maxPending + "); dropped " + webhookType + " for " + url);
            return false;
        }
        Buffer body = new JsonObject().put("webhookType", webhookType).put("data", data).toBuffer();
        Delivery d = new Delivery(url, body, "sha256=" + sign(secret, body.getBytes()), id, webhookType, entry);
        boolean start;
        synchronized (lanes) {
            Lane lane = lanes.computeIfAbsent(url, u -> new Lane());
            lane.queue.add(d);
            start = !lane.busy;
            lane.busy = true;
        }
        if (start) next(url);
        return true;
    }

    /** Sends the head of the URL's lane, or retires the lane when it is empty. */
    private void next(String url) {
        Delivery d;
        synchronized (lanes) {
            Lane lane = lanes.get(url);
            d = lane.queue.poll();
            if (d == null) {
                lanes.remove(url);
                return;
            }
        }
        resolved(url).onComplete(ok -> {
            if (ok.succeeded()) {
                attempt(d, 1, ok.result());
                return;
            }
            blocked.increment();
            d.log().attempted(0, ok.cause().getMessage(), DeliveryLog.State.BLOCKED);
            LOG.warning(() -> "webhook " + d.type() + " not sent: " + ok.cause().getMessage());
            pending.decrementAndGet();
            next(url);
        });
    }

    private void attempt(Delivery d, int n, SocketAddress to) {
        client.requestAbs(HttpMethod.POST, to, d.url())
                .followRedirects(false)
                .timeout(timeoutMs)
                .putHeader("Content-Type", "application/json")
                .putHeader(SIGNATURE_HEADER, d.signature())
                .putHeader(ID_HEADER, d.id())
                .putHeader(ATTEMPT_HEADER, Integer.toString(n))
                .sendBuffer(d.body())
                .onComplete(ar -> {
                    int status = ar.succeeded() ? ar.result().statusCode() : -1;
                    String why = ar.succeeded() ? "HTTP " + status : String.valueOf(ar.cause().getMessage());
                    if (status >= 200 && status < 300) {
                        delivered.increment();
                        d.log().attempted(status, null, DeliveryLog.State.DELIVERED);
                    } else if (n < maxAttempts) {
                        retried.increment();
                        d.log().attempted(status, why, DeliveryLog.State.RETRYING);
                        long delay = Math.min(maxBackoffMs, initialBackoffMs << Math.min(n - 1, 30));
                        vertx.setTimer(delay, t -> attempt(d, n + 1, to));
                        return;
                    } else {
                        failed.increment();
                        d.log().attempted(status, why, DeliveryLog.State.FAILED);
                        LOG.log(Level.WARNING, "webhook {0} to {1} failed after {2} attempts: {3}",
                                new Object[] {d.type(), d.url(), n, why});
                    }
                    pending.decrementAndGet();
                    next(d.url());
                });
    }

    /** The latest deliveries per room (what the console shows). */
    public DeliveryLog log() {
        return log;
    }

    public int pending() {
        return pending.get();
    }

    public void close() {
        client.close();
    }
}
