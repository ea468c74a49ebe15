package io.roomcast.cluster;

import io.roomcast.room.RoomService;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Logger;

/**
 * Rooms that become this node's: all rooms of a node that left without saying so (on the oldest
 * survivor), and a room another node hands over for its next session. Blocking work on a plain
 * thread of its own, never on the event loop.
 */
public final class Takeover implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Takeover.class.getName());

    private final Cluster cluster;
    private final RoomService rooms;
    private final RoomMoves moves;
    private final Placement placement;
    private final ExecutorService adopting = Executors.newSingleThreadExecutor(Placement.daemon("roomcast-adopt"));

    Takeover(Vertx vertx, Cluster cluster, RoomService rooms, RoomMoves moves, Placement placement) {
        this.cluster = cluster;
        this.rooms = rooms;
        this.moves = moves;
        this.placement = placement;
        cluster.onNodeLost(this::nodeLost);
        vertx.eventBus().<JsonObject>consumer(Cluster.adoptAddress(cluster.name()), msg -> adopting.execute(() -> {
            try {
                adopt(msg.body().getString("roomId"));
                placement.placed(msg.body().getString("roomId"));
                cluster.placedHere(); // handed over for a new session, which runs here
                msg.reply("adopted");
            } catch (Exception e) {
                msg.fail(500, String.valueOf(e));
            }
        }));
    }

    /**
     * For a node that left without saying so: its rooms become this node's (read back from the
     * shared store, their sessions ended), and its interrupted recordings are finalized from the
     * parts it had uploaded.
     */
    private void nodeLost(String lostNode) {
        List<String> lostRooms = cluster.roomsOf(lostNode);
        Set<String> adopted = new HashSet<>();
        for (String roomId : lostRooms) {
            try {
                rooms.adopt(roomId);
                cluster.own(roomId);
                adopted.add(roomId);
            } catch (Exception e) {
                LOG.warning("could not take over room " + roomId + " of " + lostNode + ": " + e);
            }
        }
        LOG.info(() -> "took over " + adopted.size() + " rooms of " + lostNode);
        moves.adopt(adopted);
    }

    /** Makes a room this node's: its manifests, outputs and jobs read from the store, the cluster map updated. */
    void adopt(String roomId) throws Exception {
        rooms.adopt(roomId);
        moves.adopt(Set.of(roomId));
        cluster.own(roomId);
    }

    @Override
    public void close() {
        adopting.shutdownNow();
    }
}
