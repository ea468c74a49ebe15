package io.roomcast.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.sun.management.OperatingSystemMXBean;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Membership, placement and node loss for a Roomcast cluster, on Vert.x's Hazelcast cluster manager
 * (TCP-IP join from a member list, no multicast). Two cluster-wide maps: {@code roomcast.rooms}
 * (roomId to the name of the node that owns the room and runs its sessions) and
 * {@code roomcast.nodes} (name to that node's addresses and measured load, refreshed every 2 s).
 * Hazelcast's maps are blocking: call them off the event loop.
 */
public final class Cluster {
    private static final Logger LOG = Logger.getLogger(Cluster.class.getName());
    public static final String ROOMS = "roomcast.rooms";
    public static final String NODES = "roomcast.nodes";
    /** A node that has not published its load for this long is taken as gone (it publishes every 2 s). */
    private static final long STALE_MS = 6000;
    /** Event bus address on which a node takes forwarded API requests. */
    public static String httpAddress(String node) {
        return "roomcast.http." + node;
    }

    private final String name;
    private final HazelcastInstance hazelcast;
    private final HazelcastClusterManager manager;
    private final double maxLoad;
    private final double placementCost;
    private final int cores = Runtime.getRuntime().availableProcessors();
    private final List<Long> recentPlacements = new ArrayList<>();
    private double smoothedCpu;
    private final Map<String, Double> knownLoads = new ConcurrentHashMap<>();
    private volatile JsonObject self = new JsonObject();
    private volatile Consumer<String> onNodeLost = n -> { };
    private final Map<String, String> rooms;
    private final Map<String, String> nodes;
    private Vertx vertx;
    private long timer = -1;

    /**
     * Starts this node's Hazelcast member: binds {@code host:port} only, joins {@code members}
     * ("host:port,host:port"), detects a silent member within {@code failureSeconds}.
     */
    public Cluster(String name, String host, int port, String members, int failureSeconds, double maxLoad, double placementCost,
                   ClusterSecurity security) {
        this.name = name;
        this.maxLoad = maxLoad;
        this.placementCost = placementCost;
        Config cfg = ConfigUtil.loadConfig();
        cfg.setClusterName(security.clusterName()); // a member with another secret is refused at join
        cfg.setProperty("hazelcast.logging.type", "jdk");
        cfg.setProperty("hazelcast.phone.home.enabled", "false");
        cfg.setProperty("hazelcast.socket.bind.any", "false");
        cfg.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        cfg.setProperty("hazelcast.max.no.heartbeat.seconds", Integer.toString(failureSeconds));
        cfg.setProperty("hazelcast.wait.seconds.before.join", "1");
        cfg.getNetworkConfig().setPort(port).setPortAutoIncrement(false);
        String ip;
        try {
            ip = InetAddress.getByName(host).getHostAddress(); // Hazelcast wants an address, not a name
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("cluster.host '" + host + "' does not resolve", e);
        }
        cfg.getNetworkConfig().getInterfaces().setEnabled(true).addInterface(ip);
        JoinConfig join = cfg.getNetworkConfig().getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        List<String> list = Arrays.stream(members.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        join.getTcpIpConfig().setEnabled(true).setConnectionTimeoutSeconds(2)
                .setMembers(list.isEmpty() ? List.of(host + ":" + port) : list);
        // Vert.x finds its node id in this member attribute when it is given a running instance.
        cfg.getMemberAttributeConfig().setAttribute("__vertx.nodeId", UUID.randomUUID().toString());
        this.hazelcast = Hazelcast.newHazelcastInstance(cfg);
        this.manager = new HazelcastClusterManager(hazelcast);
        this.rooms = hazelcast.getMap(ROOMS);
        this.nodes = hazelcast.getMap(NODES);
        hazelcast.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent e) {
                LOG.info(() -> "cluster: member joined " + e.getMember().getAddress());
            }

            @Override
            public void memberRemoved(MembershipEvent e) {
                LOG.warning("cluster: member lost " + e.getMember().getAddress());
                String uuid = e.getMember().getUuid().toString();
                Thread t = new Thread(() -> lost(uuid), "roomcast-node-lost");
                t.setDaemon(true);
                t.start();
            }
        });
    }

    public HazelcastClusterManager manager() {
        return manager;
    }

    public String name() {
        return name;
    }

    /** Event bus address on which a node answers the others' check of the event bus. */
    private static String helloAddress(String node) {
        return "roomcast.hello." + node;
    }

    /**
     * Before this node takes part: each live node must answer over the event bus. A node whose
     * certificate the others do not trust (or that does not trust theirs) gets no answer, and must
     * not start: it is a Hazelcast member, but every call forwarded to or from it would be lost.
     *
     * @throws IllegalStateException naming the nodes that did not answer
     */
    public void verifyPeers(Vertx vertx, long timeoutMs) {
        List<String> live = liveNodes();
        List<String> peers = live.subList(1, live.size());
        List<String> silent = new ArrayList<>();
        for (String peer : peers) {
            try {
                vertx.eventBus().request(helloAddress(peer), name, new DeliveryOptions().setSendTimeout(timeoutMs))
                        .await(timeoutMs + 1000, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                silent.add(peer);
            }
        }
        if (!peers.isEmpty() && silent.size() == peers.size()) {
            throw new IllegalStateException("cluster: no node answers over the event bus (" + String.join(", ", silent)
                    + "): this node's cluster.keyStore is not trusted by them, or theirs is not in cluster.trustStore");
        }
        if (!silent.isEmpty()) LOG.warning("cluster: no answer over the event bus from " + silent);
    }

    /** After Vert.x is up: publish this node and start measuring its load. */
    public void start(Vertx vertx, JsonObject addresses, MeterRegistry registry) throws TimeoutException {
        this.vertx = vertx;
        vertx.eventBus().<String>consumer(helloAddress(name), m -> m.reply(name)).completion().await(30, TimeUnit.SECONDS);
        this.self = addresses.copy().put("member", hazelcast.getCluster().getLocalMember().getUuid().toString());
        publishLoad();
        timer = vertx.setPeriodic(2000, t -> vertx.executeBlocking(() -> {
            publishLoad();
            return null;
        }, false));
        Gauge.builder("roomcast_cluster_nodes", hazelcast, h -> h.getCluster().getMembers().size())
                .description("Members of the Roomcast cluster").register(registry);
        Gauge.builder("roomcast_cluster_node_load", this, c -> c.load()).tag("node", name)
                .description("This node's load (0-1): measured CPU plus the estimate of sessions placed in the last 10 s")
                .register(registry);
        Gauge.builder("roomcast_cluster_nodes_over_ceiling", this, c -> c.knownLoads.values().stream().filter(l -> l > maxLoad).count())
                .register(registry);
    }

    /** Called with the name of a node that left without saying so, on the node chosen to take over. */
    public void onNodeLost(Consumer<String> handler) {
        this.onNodeLost = handler;
    }

    // ---- load and placement ----

    private double measuredCpu() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof OperatingSystemMXBean sun) {
            double v = sun.getProcessCpuLoad();
            return v < 0 ? 0 : v;
        }
        return 0;
    }

    /**
     * This process's CPU (share of the machine, smoothed over about 10 s so a start-up or GC spike
     * does not count) plus the estimated cost of sessions started here in the last 10 s, which the
     * measurement does not show yet.
     */
    public synchronized double load() {
        long now = System.nanoTime();
        recentPlacements.removeIf(t -> now - t > 10_000_000_000L);
        return smoothedCpu + recentPlacements.size() * placementCost / cores;
    }

    private void publishLoad() {
        synchronized (this) {
            smoothedCpu = smoothedCpu * 0.8 + measuredCpu() * 0.2;
        }
        double l = load();
        nodes.put(name, self.copy().put("load", l).put("at", System.currentTimeMillis()).encode());
        for (Map.Entry<String, String> e : nodes.entrySet()) knownLoads.put(e.getKey(), new JsonObject(e.getValue()).getDouble("load"));
    }

    public boolean overCeiling() {
        return load() > maxLoad;
    }

    public double maxLoad() {
        return maxLoad;
    }

    /** The least loaded live node under the ceiling (this one on a tie), or null when all are full. Blocking. */
    public String place() {
        return placeFor(name);
    }

    /** Event bus address on which a room's node decides where its next session runs. */
    public static String placeAddress(String node) {
        return "roomcast.place." + node;
    }

    /** Event bus address on which a node takes a room over from another. */
    public static String adoptAddress(String node) {
        return "roomcast.adopt." + node;
    }

    /** The least loaded live node under the ceiling, {@code preferred} on a tie (within 0.02); null when all are full. */
    public String placeFor(String preferred) {
        Set<String> live = liveMembers();
        String best = null;
        double bestLoad = Double.MAX_VALUE;
        for (Map.Entry<String, String> e : nodes.entrySet()) {
            JsonObject n = new JsonObject(e.getValue());
            if (!fresh(n, live)) continue;
            double l = e.getKey().equals(name) ? load() : n.getDouble("load");
            if (l > maxLoad) continue;
            if (l < bestLoad - 0.02 || (Math.abs(l - bestLoad) <= 0.02 && e.getKey().equals(preferred))) {
                best = e.getKey();
                bestLoad = l;
            }
        }
        return best;
    }

    /**
     * Counts a session just placed here into the load until the measurement shows it, and publishes
     * the new load at once so the next placement sees it. Blocking.
     */
    public void placedHere() {
        synchronized (this) {
            recentPlacements.add(System.nanoTime());
        }
        nodes.put(name, self.copy().put("load", load()).put("at", System.currentTimeMillis()).encode());
    }

    private Set<String> liveMembers() {
        Set<String> s = new HashSet<>();
        for (Member m : hazelcast.getCluster().getMembers()) s.add(m.getUuid().toString());
        return s;
    }

    /** Live node names, this one first. Blocking. */
    public List<String> liveNodes() {
        Set<String> live = liveMembers();
        List<String> out = new ArrayList<>();
        out.add(name);
        for (Map.Entry<String, String> e : nodes.entrySet()) {
            if (!e.getKey().equals(name) && fresh(new JsonObject(e.getValue()), live)) out.add(e.getKey());
        }
        return out;
    }

    /**
     * Whether a node is a member and has published its load lately (every 2 s): a killed node stops
     * at once, while Hazelcast may take up to cluster.failureSeconds to drop it. Blocking.
     */
    public boolean isLive(String node) {
        if (node.equals(name)) return true;
        String v = nodes.get(node);
        return v != null && fresh(new JsonObject(v), liveMembers());
    }

    private static boolean fresh(JsonObject n, Set<String> liveMembers) {
        return liveMembers.contains(n.getString("member")) && System.currentTimeMillis() - n.getLong("at", 0L) < STALE_MS;
    }

    // ---- ownership ----

    /** The node owning a room, or null when the cluster does not know it. Blocking. */
    public String owner(String roomId) {
        return rooms.get(roomId);
    }

    public void own(String roomId) {
        rooms.put(roomId, name);
    }

    public void ownAll(Collection<String> roomIds) {
        Map<String, String> m = new HashMap<>();
        for (String id : roomIds) m.put(id, name);
        rooms.putAll(m);
    }

    /** Takes over the rooms of a lost node when this is the oldest surviving member. */
    private void lost(String memberUuid) {
        try {
            String lostName = null;
            for (Map.Entry<String, String> e : nodes.entrySet()) {
                if (memberUuid.equals(new JsonObject(e.getValue()).getString("member"))) lostName = e.getKey();
            }
            if (lostName == null || lostName.equals(name)) return;
            Member oldest = hazelcast.getCluster().getMembers().iterator().next();
            if (!oldest.localMember()) return; // another survivor takes over
            nodes.remove(lostName);
            knownLoads.remove(lostName);
            LOG.warning("cluster: node " + lostName + " is lost; taking over its rooms");
            onNodeLost.accept(lostName);
        } catch (RuntimeException e) {
            LOG.warning("cluster: taking over a lost node failed: " + e);
        }
    }

    /** The rooms the cluster map gives to {@code node}. Blocking. */
    public List<String> roomsOf(String node) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, String> e : rooms.entrySet()) if (node.equals(e.getValue())) out.add(e.getKey());
        return out;
    }

    public JsonObject describe() {
        JsonObject out = new JsonObject().put("node", name).put("members", hazelcast.getCluster().getMembers().size());
        for (Map.Entry<String, String> e : nodes.entrySet()) out.put(e.getKey(), new JsonObject(e.getValue()));
        return out;
    }

    /** Leaves the cluster (after Vert.x has closed). */
    public void close() {
        if (vertx != null && timer >= 0) vertx.cancelTimer(timer);
        try {
            if (nodes != null) nodes.remove(name);
        } catch (RuntimeException e) {
            // already leaving
        }
        try {
            hazelcast.shutdown();
        } catch (RuntimeException e) {
            LOG.warning("cluster: leaving: " + e);
        }
    }
}
