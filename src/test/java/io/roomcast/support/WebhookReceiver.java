package io.roomcast.support;

import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntUnaryOperator;

/** A real HTTP endpoint on loopback that records what it is sent; its answers are scriptable. */
public final class WebhookReceiver implements AutoCloseable {
    public record Delivery(String body, String signature, String id, int attempt, long receivedAtNanos) {
        public JsonObject json() {
            return new JsonObject(body);
        }

        public String type() {
            return json().getString("webhookType");
        }
    }

    private final HttpServer server;
    private final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
    private final AtomicInteger requests = new AtomicInteger();
    private volatile IntUnaryOperator statusForRequest = n -> 200;
    private volatile long delayMs;
    private volatile String location;

    public WebhookReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/hook", exchange -> {
            int n = requests.incrementAndGet();
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            long delay = delayMs;
            if (delay > 0) {
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            int status = statusForRequest.applyAsInt(n);
            if (status >= 200 && status < 300) {
                String attempt = exchange.getRequestHeaders().getFirst("X-Roomcast-Attempt");
                deliveries.add(new Delivery(new String(body, StandardCharsets.UTF_8),
                        exchange.getRequestHeaders().getFirst("X-Roomcast-Signature"),
                        exchange.getRequestHeaders().getFirst("X-Roomcast-Webhook-Id"),
                        attempt == null ? 0 : Integer.parseInt(attempt), System.nanoTime()));
            }
            if (location != null) exchange.getResponseHeaders().set("Location", location);
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    /** Answer request number n (1-based, counting every attempt) with this status. */
    public void answer(IntUnaryOperator statusForRequest) {
        this.statusForRequest = statusForRequest;
    }

    /** Answer with a Location header (give a 3xx status with {@link #answer}). */
    public void redirectTo(String url) {
        this.location = url;
    }

    public void delay(long ms) {
        this.delayMs = ms;
    }

    public int requests() {
        return requests.get();
    }

    public List<Delivery> deliveries() {
        return deliveries;
    }

    /** Waits until {@code count} deliveries of {@code type} arrived, or fails. */
    public List<Delivery> await(String type, int count, long timeoutMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < deadline) {
            List<Delivery> matching = deliveries.stream().filter(d -> d.type().equals(type)).toList();
            if (matching.size() >= count) return matching;
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new AssertionError("expected " + count + " " + type + " webhooks within " + timeoutMs + " ms, got "
                + deliveries.stream().map(Delivery::type).toList());
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
