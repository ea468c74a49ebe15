package io.roomcast.cluster;

import io.roomcast.room.RoomService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Where a room's next session runs, decided on the room's node before a join: a room with an
 * ongoing session stays; otherwise the least loaded node under the ceiling takes it (this one on a
 * tie), so a session is placed by measured load when its first participant joins. Answers other
 * nodes' placement requests on the event bus; blocking work on a plain thread of its own.
 */
public final class Placement implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Placement.class.getName());
    private static final long HOLD_NANOS = 10_000_000_000L;

    private final Vertx vertx;
    private final Cluster cluster;
    private final RoomService rooms;
    private final RoomMoves moves;
    private final Map<String, Long> justPlaced = new ConcurrentHashMap<>();
    private final ExecutorService placing = Executors.newSingleThreadExecutor(daemon("roomcast-placement"));
    private final Takeover takeover;

    /** Starts answering placement and hand-over requests for this node. */
    public Placement(Vertx vertx, Cluster cluster, RoomService rooms, RoomMoves moves) {
        this.vertx = vertx;
        this.cluster = cluster;
        this.rooms = rooms;
        this.moves = moves;
        this.takeover = new Takeover(vertx, cluster, rooms, moves, this);
        vertx.eventBus().<JsonObject>consumer(Cluster.placeAddress(cluster.name()), msg -> {
            String roomId = msg.body().getString("roomId");
            placing.execute(() -> {
                String node;
                try {
                    node = placeSession(roomId);
                } catch (Exception e) {
                    LOG.warning("placing the session of room " + roomId + ": " + e);
                    node = cluster.name();
                }
                msg.reply(node);
            });
        });
    }

    static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** The room was just placed here: participants joining at nearly the same moment stay. */
    void placed(String roomId) {
        justPlaced.put(roomId, System.nanoTime());
    }

    private String placeSession(String roomId) throws Exception {
        if (!rooms.isLocal(roomId)) {
            String owner = cluster.owner(roomId);
            return owner == null ? cluster.name() : owner;
        }
        if (rooms.activeSession(roomId) != null) return cluster.name();
        // Participants of a new session join at nearly the same moment: the first placement holds.
        Long placed = justPlaced.get(roomId);
        if (placed != null && System.nanoTime() - placed < HOLD_NANOS) return cluster.name();
        justPlaced.values().removeIf(t -> System.nanoTime() - t > HOLD_NANOS);
        justPlaced.put(roomId, System.nanoTime());
        String best = cluster.placeFor(cluster.name());
        if (best == null || best.equals(cluster.name()) || !rooms.release(roomId)) {
            if (best != null) cluster.placedHere(); // the new session runs here
            return cluster.name();
        }
        try {
            vertx.eventBus().request(Cluster.adoptAddress(best), new JsonObject().put("roomId", roomId))
                    .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
            moves.forget(roomId);
            LOG.info(() -> "room " + roomId + " placed on " + best + " (less loaded) for its next session");
            return best;
        } catch (Exception e) {
            LOG.warning("could not move room " + roomId + " to " + best + "; it stays here: " + e);
            takeover.adopt(roomId);
            return cluster.name();
        }
    }

    @Override
    public void close() {
        placing.shutdownNow();
        takeover.close();
    }
}
