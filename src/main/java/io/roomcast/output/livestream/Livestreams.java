package io.roomcast.output.livestream;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.roomcast.encode.Muxer;
import io.roomcast.encode.OutputConfig;
import io.roomcast.errors.Refusal;
import io.roomcast.output.Manifest;
import io.roomcast.output.ManifestStore;
import io.roomcast.output.Output;
import io.roomcast.output.OutputStatus;
import io.roomcast.output.Outputs;
import io.roomcast.room.Ids;
import io.roomcast.room.Session;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * RTMP livestreams: a start names one or more destinations, each pushed on its own
 * ({@link RtmpPush}, reconnecting), announced as one livestream whose status comes from theirs.
 *
 * <p>Threads: the API calls come on the event loop; status changes come on each push's thread.
 */
public final class Livestreams implements Output.Listener {
    private final Outputs outputs;
    private final ManifestStore manifests;
    private final Map<String, Livestream> running = new ConcurrentHashMap<>();
    /** Reconnects of pushes that finished (the running ones count their own). */
    private final AtomicLong pastReconnects = new AtomicLong();

    public Livestreams(Outputs outputs, ManifestStore manifests, MeterRegistry registry) {
        this.outputs = outputs;
        this.manifests = manifests;
        FunctionCounter.builder("roomcast_rtmp_reconnects", this,
                s -> s.pastReconnects.get() + outputs.running(RtmpPush.class).mapToLong(p -> p.reconnects.get()).sum()).register(registry);
    }

    /** Starts one RTMP push per URL with a plan from {@link Outputs#resolve}. */
    public JsonObject start(String roomId, List<String> urls, OutputConfig cfg, String webhookUrl) {
        Session s = outputs.ongoing(roomId);
        int max = outputs.settings().maxRtmpDestinations();
        if (urls.isEmpty()) throw Refusal.invalid("outputs must name at least one RTMP destination");
        if (urls.size() > max) throw Refusal.invalid("outputs may name at most " + max + " destinations");
        outputs.checkLimits(roomId, urls.size());
        Livestream ls = new Livestream(Ids.hex24(), roomId, s.sessionId(), webhookUrl);
        for (String url : urls) {
            ls.pushes.add(new RtmpPush(Ids.hex24(), ls.id, roomId, s.sessionId(), cfg, this, url,
                    outputs.settings().rtmpConnectTimeoutMs(), outputs.settings().outbound()));
        }
        running.put(ls.id, ls);
        JsonObject m = ls.toJson();
        manifests.put(m);
        outputs.emit(roomId, ls.webhookUrl, "livestream-starting", api(m));
        for (RtmpPush p : ls.pushes) outputs.launch(p, s, false);
        return api(ls.toJson());
    }

    public JsonObject end(String roomId) {
        outputs.requireRoom(roomId);
        List<JsonObject> ended = new ArrayList<>();
        for (Livestream ls : running.values()) {
            if (!ls.roomId.equals(roomId) || ls.announcedEnd) continue;
            boolean any = false;
            for (RtmpPush p : ls.pushes) {
                if (!p.ending()) {
                    outputs.stop(p);
                    any = true;
                }
            }
            if (!any) continue;
            JsonObject stopping = api(ls.toJson()).put("status", OutputStatus.STOPPING.wire());
            outputs.emit(roomId, ls.webhookUrl, "livestream-stopping", stopping);
            ended.add(stopping);
        }
        if (ended.isEmpty()) throw Refusal.conflict("not_streaming", "room " + roomId + " has no running livestream");
        return ended.get(0);
    }

    public JsonObject get(String id) {
        Manifest m = manifests.get(id);
        if (m == null) throw Refusal.notFound("livestream", id);
        return api(m.json());
    }

    public List<JsonObject> list(String roomId) {
        return manifests.list(roomId, null).stream().map(m -> api(m.json())).toList();
    }

    /** The API shape: the manifest without the webhook URL. */
    private static JsonObject api(JsonObject manifest) {
        JsonObject c = manifest.copy();
        c.remove("webhookUrl");
        return c;
    }

    @Override
    public void event(Output output, String webhookType) {
        // pushes have no events of their own
    }

    @Override
    public void changed(Output output, OutputStatus status) {
        RtmpPush p = (RtmpPush) output;
        Livestream ls = running.get(p.livestreamId);
        if (ls != null) {
            JsonObject j = ls.toJson();
            manifests.put(j);
            if (status == OutputStatus.STARTED && !ls.announcedStart) {
                ls.announcedStart = true;
                outputs.emit(p.roomId(), ls.webhookUrl, "livestream-started", api(j));
            }
            if (status == OutputStatus.FAILED) {
                outputs.emit(p.roomId(), ls.webhookUrl, "livestream-failed", api(j)
                        .put("failedOutput", new JsonObject().put("url", Muxer.redact(p.url)).put("reason", p.reason())));
            }
            if (ls.status().terminal() && !ls.announcedEnd) {
                ls.announcedEnd = true;
                outputs.emit(p.roomId(), ls.webhookUrl, "livestream-stopped", api(j));
                running.remove(ls.id);
            }
        }
        if (status.terminal()) pastReconnects.addAndGet(p.reconnects.get());
        outputs.settled(p, status);
    }

    public Future<Void> load(Predicate<String> roomIsHere) {
        return manifests.load(roomIsHere, this::closeInterrupted);
    }

    /** Blocking: the manifests of taken-over rooms; their streams that were running are closed. */
    public void recoverRooms(Set<String> roomIds) throws Exception {
        manifests.loadRooms(roomIds, this::closeInterrupted);
    }

    /** Livestreams that were running when their node stopped are stopped: there is nothing to resume. */
    private void closeInterrupted(Predicate<Manifest> which) {
        for (Manifest m : manifests.all()) {
            if (which.test(m) && !m.status().terminal() && !running.containsKey(m.id())) {
                manifests.put(m.json().copy().put("status", OutputStatus.STOPPED.wire())
                        .put("reason", "the node stopped while it was streaming"));
            }
        }
    }

    public void forgetRoom(String roomId) {
        manifests.forgetFinished(roomId);
    }
}
