package io.roomcast.cluster;

import java.util.Set;

/** What the rest of a node does when rooms move between nodes; the cluster tells it. */
public interface RoomMoves {
    /** Blocking: the rooms became this node's; their stored state (sessions, outputs, jobs) is read and what was interrupted is finished. */
    void adopt(Set<String> roomIds);

    /** The room moved to another node (it had no session): forget what is listed there now. */
    void forget(String roomId);
}
