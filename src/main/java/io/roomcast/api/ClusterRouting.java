package io.roomcast.api;

import io.roomcast.cluster.Cluster;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.logging.Logger;

/**
 * Any node serves the API. A call about a room goes, over the Vert.x event bus, to the node that owns
 * the room, which runs it against its own HTTP API (same authentication, same status codes and error
 * bodies) and sends the answer back. A new room is created on the least loaded node; a call naming
 * only a recording, session, stream or job id is answered by the first node that knows the id; a
 * list without {@code roomId} is gathered from every node. Caption streams (SSE, WebSocket) are served
 * where the client is: captions are published cluster-wide on the event bus.
 */
final class ClusterRouting {
    private static final Logger LOG = Logger.getLogger(ClusterRouting.class.getName());
    static final String FORWARDED = "X-Roomcast-Forwarded";
    private static final Set<String> BY_ID = Set.of("recordings", "sessions", "hls", "livestreams", "transcriptions");
    private static final Set<String> LISTS = Set.of("rooms", "recordings", "sessions", "hls", "livestreams", "transcriptions");
    private static final long TIMEOUT_MS = 30_000;
    private static final long SCATTER_TIMEOUT_MS = 5_000;

    private final Vertx vertx;
    private final Cluster cluster;
    private final String localHost;
    private final IntSupplier localPort;
    private final int maxPerPage;
    private final HttpClient client;

    ClusterRouting(Vertx vertx, Cluster cluster, String httpHost, IntSupplier localPort, int maxPerPage) {
        this.vertx = vertx;
        this.cluster = cluster;
        this.localHost = httpHost.equals("0.0.0.0") || httpHost.equals("::") ? "127.0.0.1" : httpHost;
        this.localPort = localPort;
        this.maxPerPage = maxPerPage;
        this.client = vertx.createHttpClient();
    }

    /** Takes forwarded requests for this node (once its API listens). */
    void listen() {
        vertx.eventBus().<JsonObject>consumer(Cluster.httpAddress(cluster.name()), this::serveForwarded);
    }

    // ---- the entry node ----

    void route(RoutingContext ctx) {
        var req = ctx.request();
        if (req.getHeader(FORWARDED) != null || isStream(ctx)) {
            ctx.next();
            return;
        }
        String[] seg = req.path().split("/"); // "", "v2", kind, id, ...
        if (seg.length < 3) {
            ctx.next();
            return;
        }
        String kind = seg[2];
        String roomId = roomIdOf(ctx, seg);
        HttpMethod method = req.method();
        vertx.executeBlocking(() -> {
            if (method == HttpMethod.POST && seg.length == 3 && kind.equals("rooms")) {
                String node = cluster.place();
                return node == null ? "!full" : node;
            }
            if (roomId != null) {
                String owner = cluster.owner(roomId);
                if (owner == null) return cluster.name();
                if (!cluster.isLive(owner)) return "!gone:" + owner;
                if (method == HttpMethod.POST && seg.length == 5 && kind.equals("rooms") && seg[4].equals("participants")) {
                    // A join: the room's node may hand the room to a less loaded node for a new session.
                    try {
                        return vertx.eventBus().<String>request(Cluster.placeAddress(owner), new JsonObject().put("roomId", roomId),
                                        new DeliveryOptions().setSendTimeout(TIMEOUT_MS))
                                .map(Message::body).toCompletionStage().toCompletableFuture()
                                .get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
                    } catch (Exception e) {
                        return owner; // unreachable: the forward says so
                    }
                }
                return owner;
            }
            if (method == HttpMethod.GET && isParticipantList(seg)) return "*all";
            if (isById(method, seg, ctx)) return "*first";
            if (method == HttpMethod.GET && seg.length == 3 && LISTS.contains(kind)) return "*all";
            return cluster.name();
        }, false).onComplete(ar -> {
            if (ar.failed()) {
                LOG.warning("cluster routing failed: " + ar.cause());
                ctx.next();
                return;
            }
            String target = ar.result();
            if (target.equals(cluster.name())) {
                ctx.next();
            } else if (target.startsWith("!gone:")) {
                Replies.error(ctx, 503, "node_unreachable", "the node that runs this room (" + target.substring(6)
                        + ") is not answering; a surviving node takes its rooms over within cluster.failureSeconds");
            } else if (target.equals("!full")) {
                Replies.error(ctx, 503, "no_capacity", "every node is over its load ceiling (cluster.maxLoad " + cluster.maxLoad() + ")");
            } else if (target.equals("*first")) {
                firstFound(ctx);
            } else if (target.equals("*all")) {
                gather(ctx);
            } else {
                forward(target, request(ctx, ctx.request().uri())).onComplete(r -> answer(ctx, r.succeeded() ? r.result() : null, target));
            }
        });
    }

    private static boolean isStream(RoutingContext ctx) {
        String accept = ctx.request().getHeader(HttpHeaders.ACCEPT);
        String path = ctx.request().path();
        return path.endsWith("/captions/ws") || path.endsWith("/messages/ws") || path.matches("/v2/rooms/[^/]+/events") || (accept != null && accept.contains("text/event-stream"));
    }

    private static String roomIdOf(RoutingContext ctx, String[] seg) {
        if (seg[2].equals("rooms") && seg.length >= 4) return seg[3];
        String q = ctx.request().getParam("roomId");
        if (q != null) return q;
        if (ctx.request().method() == HttpMethod.POST && ctx.body() != null && ctx.body().length() > 0) {
            try {
                Object v = ctx.body().asJsonObject().getValue("roomId");
                if (v instanceof String s) return s;
            } catch (RuntimeException e) {
                return null; // not JSON: the local handler answers 400
            }
        }
        return null;
    }

    /** {@code /v2/recordings/participant} and {@code /v2/recordings/participant/track}: lists, not ids. */
    private static boolean isParticipantList(String[] seg) {
        return seg[2].equals("recordings") && seg.length >= 4 && seg[3].equals("participant")
                && (seg.length == 4 || seg.length == 5 && seg[4].equals("track"));
    }

    private static boolean isById(HttpMethod method, String[] seg, RoutingContext ctx) {
        if (!BY_ID.contains(seg[2])) return false;
        if (method == HttpMethod.GET && seg.length >= 4) return true;
        // A post-call job names a recording; ending a session may name only the session.
        return method == HttpMethod.POST && seg.length == 3 && seg[2].equals("transcriptions")
                || method == HttpMethod.POST && seg.length == 4 && seg[2].equals("sessions") && seg[3].equals("end");
    }

    private static JsonObject request(RoutingContext ctx, String uri) {
        var req = ctx.request();
        JsonObject headers = new JsonObject();
        for (String h : List.of("Authorization", "Content-Type", "Accept", "Host")) {
            String v = req.getHeader(h);
            if (v != null) headers.put(h, v);
        }
        return new JsonObject().put("method", req.method().name()).put("uri", uri).put("headers", headers)
                .put("body", ctx.body() == null || ctx.body().buffer() == null ? Buffer.buffer() : ctx.body().buffer());
    }

    private Future<JsonObject> forward(String node, JsonObject request) {
        return forward(node, request, TIMEOUT_MS);
    }

    /** A message to a node whose process died is never answered: asking many nodes uses a short timeout. */
    private Future<JsonObject> forward(String node, JsonObject request, long timeoutMs) {
        return vertx.eventBus().<JsonObject>request(Cluster.httpAddress(node), request, new DeliveryOptions().setSendTimeout(timeoutMs))
                .map(Message::body);
    }

    private static void answer(RoutingContext ctx, JsonObject reply, String node) {
        if (ctx.response().ended()) return;
        if (reply == null) {
            Replies.error(ctx, 503, "node_unreachable", "the node that runs this room (" + node + ") did not answer");
            return;
        }
        var res = ctx.response().setStatusCode(reply.getInteger("status"));
        JsonObject headers = reply.getJsonObject("headers");
        for (String h : headers.fieldNames()) res.putHeader(h, headers.getString(h));
        res.end(reply.getBuffer("body"));
    }

    /** Each live node in turn, this one first: the first answer that is not 404 (else this node's 404). */
    private void firstFound(RoutingContext ctx) {
        JsonObject request = request(ctx, ctx.request().uri());
        vertx.executeBlocking(cluster::liveNodes, false).onComplete(ar -> {
            List<String> nodes = ar.succeeded() ? ar.result() : List.of(cluster.name());
            tryNext(ctx, request, nodes, 0, null);
        });
    }

    private void tryNext(RoutingContext ctx, JsonObject request, List<String> nodes, int i, JsonObject firstReply) {
        if (i >= nodes.size()) {
            answer(ctx, firstReply, nodes.get(0));
            return;
        }
        forward(nodes.get(i), request, SCATTER_TIMEOUT_MS).onComplete(r -> {
            if (r.succeeded() && r.result().getInteger("status") != 404) {
                answer(ctx, r.result(), nodes.get(i));
            } else {
                tryNext(ctx, request, nodes, i + 1, firstReply == null && r.succeeded() ? r.result() : firstReply);
            }
        });
    }

    /**
     * A list without roomId: every node's first {@code page * perPage} items (up to limits.maxPerPage),
     * merged in the order the nodes list them, then cut to the page asked for.
     */
    private void gather(RoutingContext ctx) {
        int page = intParam(ctx, "page", 1);
        int perPage = Math.min(intParam(ctx, "perPage", 20), maxPerPage);
        int depth = (int) Math.min((long) page * perPage, maxPerPage);
        StringBuilder uri = new StringBuilder(ctx.request().path()).append("?page=1&perPage=").append(depth);
        ctx.queryParams().forEach((k, v) -> {
            if (!k.equals("page") && !k.equals("perPage")) {
                uri.append('&').append(URLEncoder.encode(k, StandardCharsets.UTF_8)).append('=')
                        .append(URLEncoder.encode(v, StandardCharsets.UTF_8));
            }
        });
        JsonObject request = request(ctx, uri.toString());
        vertx.executeBlocking(cluster::liveNodes, false).onComplete(ar -> {
            List<String> nodes = ar.succeeded() ? ar.result() : List.of(cluster.name());
            List<Future<JsonObject>> all = new ArrayList<>();
            for (String n : nodes) all.add(forward(n, request, SCATTER_TIMEOUT_MS));
            Future.join(all).onComplete(done -> {
                JsonObject first = all.get(0).succeeded() ? all.get(0).result() : null;
                if (first == null || first.getInteger("status") != 200) {
                    answer(ctx, first, nodes.get(0));
                    return;
                }
                List<JsonObject> items = new ArrayList<>();
                long total = 0;
                boolean ascending = true;
                for (Future<JsonObject> f : all) {
                    if (f.failed() || f.result().getInteger("status") != 200) continue;
                    JsonObject body = new JsonObject(f.result().getBuffer("body"));
                    JsonArray data = body.getJsonArray("data", new JsonArray());
                    if (data.size() > 1) ascending = key(data.getJsonObject(0)).compareTo(key(data.getJsonObject(data.size() - 1))) <= 0;
                    for (Object o : data) items.add((JsonObject) o);
                    total += body.getJsonObject("pageInfo", new JsonObject()).getLong("total", (long) data.size());
                }
                Comparator<JsonObject> order = Comparator.comparing(ClusterRouting::key);
                items.sort(ascending ? order : order.reversed());
                int from = Math.min((page - 1) * perPage, items.size());
                JsonArray data = new JsonArray(new ArrayList<>(items.subList(from, Math.min(from + perPage, items.size()))));
                long lastPage = Math.max(1, (total + perPage - 1) / perPage);
                Replies.json(ctx, 200, new JsonObject().put("pageInfo", new JsonObject().put("currentPage", page)
                        .put("perPage", perPage).put("lastPage", lastPage).put("total", total)).put("data", data));
            });
        });
    }

    private static String key(JsonObject item) {
        return item.getString("createdAt", item.getString("start", ""));
    }

    private static int intParam(RoutingContext ctx, String name, int dflt) {
        try {
            String v = ctx.request().getParam(name);
            return v == null ? dflt : Math.max(1, Integer.parseInt(v));
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    // ---- the owning node ----

    /** Runs a forwarded request against this node's own API and replies with status, headers and body. */
    private void serveForwarded(Message<JsonObject> msg) {
        JsonObject in = msg.body();
        RequestOptions opts = new RequestOptions().setMethod(HttpMethod.valueOf(in.getString("method")))
                .setHost(localHost).setPort(localPort.getAsInt()).setURI(in.getString("uri")).setTimeout(TIMEOUT_MS);
        JsonObject headers = in.getJsonObject("headers");
        for (String h : headers.fieldNames()) {
            if (h.equals("Host")) opts.putHeader("X-Forwarded-Host", headers.getString(h));
            else opts.putHeader(h, headers.getString(h));
        }
        opts.putHeader(FORWARDED, cluster.name());
        client.request(opts)
                .compose(req -> req.send(in.getBuffer("body")))
                .compose(res -> res.body().map(body -> {
                    JsonObject h = new JsonObject();
                    for (String name : List.of("Content-Type", "Retry-After", "Content-Disposition", "Cache-Control",
                            "Access-Control-Allow-Origin")) {
                        String v = res.getHeader(name);
                        if (v != null) h.put(name, v);
                    }
                    return new JsonObject().put("status", res.statusCode()).put("headers", h).put("body", body);
                }))
                .onSuccess(msg::reply)
                .onFailure(e -> msg.fail(503, e.getMessage()));
    }
}
