package io.roomcast.support;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Debian's Janus with its VideoRoom plugin and HTTP transport only, on loopback
 * ({@code nat: ice_enforce_list = "lo"}), in a folder of its own; driven over its HTTP API as an app
 * server would: a session and a videoroom handle, then {@code rtp_forward} of a publisher to Roomcast.
 */
public final class Janus implements AutoCloseable {
    public static final int ROOM = 4242;
    private static final String LIB = "/usr/lib/x86_64-linux-gnu/janus";
    private final Process process;
    private final Path dir;
    private final int port;
    private final HttpClient http = HttpClient.newHttpClient();
    private long session;
    private long handle;

    private Janus(Process process, Path dir, int port) {
        this.process = process;
        this.dir = dir;
        this.port = port;
    }

    /**
     * Janus with a room of its own; {@code firFreqSeconds} is the room's {@code fir_freq}: how often Janus
     * itself asks publishers for a keyframe (0: never, only when a subscriber or forwarder's RTCP asks).
     */
    public static Janus start(Path dir, int firFreqSeconds) throws Exception {
        int port = JarProcess.freePort();
        int rtpBase = 20000 + (port % 20) * 1000;
        Files.writeString(dir.resolve("janus.jcfg"), """
                general: { configs_folder = "%s", plugins_folder = "%s/plugins", transports_folder = "%s/transports",
                           events_folder = "%s/events", loggers_folder = "%s/loggers", debug_level = 4 }
                media: { rtp_port_range = "%d-%d" }
                nat: { ice_enforce_list = "lo", ignore_mdns = true }
                plugins: { disable = "libjanus_audiobridge.so,libjanus_echotest.so,libjanus_recordplay.so,libjanus_sip.so,libjanus_nosip.so,libjanus_streaming.so,libjanus_textroom.so,libjanus_videocall.so,libjanus_voicemail.so,libjanus_duktape.so,libjanus_lua.so" }
                transports: { disable = "libjanus_websockets.so,libjanus_pfunix.so,libjanus_mqtt.so,libjanus_nanomsg.so,libjanus_rabbitmq.so" }
                events: { broadcast = false }
                loggers: { disable = "libjanus_jsonlog.so" }
                """.formatted(dir, LIB, LIB, LIB, LIB, rtpBase, rtpBase + 999));
        Files.writeString(dir.resolve("janus.transport.http.jcfg"), """
                general: { json = "compact", base_path = "/janus", http = true, port = %d, ip = "127.0.0.1", https = false }
                admin: { admin_http = false }
                """.formatted(port));
        Files.writeString(dir.resolve("janus.plugin.videoroom.jcfg"), """
                general: { }
                room-%d: { description = "Roomcast interop", publishers = 6, bitrate = 800000, fir_freq = %d,
                           audiocodec = "opus", videocodec = "vp8" }
                """.formatted(ROOM, firFreqSeconds));
        Process p = new ProcessBuilder("janus", "-C", dir.resolve("janus.jcfg").toString(), "-F", dir.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("janus.log").toFile()).start();
        Janus j = new Janus(p, dir, port);
        long deadline = System.currentTimeMillis() + 15_000;
        while (true) {
            try {
                j.session = j.call("", new JsonObject().put("janus", "create")).getJsonObject("data").getLong("id");
                break;
            } catch (IOException e) {
                if (System.currentTimeMillis() > deadline || !p.isAlive()) throw new AssertionError("Janus did not start: " + j.log(), e);
                Thread.sleep(200);
            }
        }
        j.handle = j.call("/" + j.session, new JsonObject().put("janus", "attach").put("plugin", "janus.plugin.videoroom"))
                .getJsonObject("data").getLong("id");
        return j;
    }

    /** The base URL of the HTTP API, for the browser page. */
    public String url() {
        return "http://127.0.0.1:" + port + "/janus";
    }

    public String log() throws IOException {
        return Files.readString(dir.resolve("janus.log"));
    }

    private JsonObject call(String path, JsonObject body) throws IOException, InterruptedException {
        body.put("transaction", UUID.randomUUID().toString());
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofString());
        JsonObject j = new JsonObject(r.body());
        if ("error".equals(j.getString("janus"))) throw new IllegalStateException("Janus: " + r.body());
        return j;
    }

    /** A synchronous VideoRoom request (list, rtp_forward, stop_rtp_forward): the plugin's answer. */
    public JsonObject videoroom(JsonObject request) throws IOException, InterruptedException {
        JsonObject data = call("/" + session + "/" + handle, new JsonObject().put("janus", "message").put("body", request.put("room", ROOM)))
                .getJsonObject("plugindata").getJsonObject("data");
        if (data.containsKey("error")) throw new IllegalStateException("VideoRoom: " + data.encode());
        return data;
    }

    /** The publisher ids of the room, by display name, once {@code count} are there. */
    public JsonObject publishers(int count, long timeoutMs) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        JsonObject byName = new JsonObject();
        while (System.currentTimeMillis() < deadline) {
            byName = new JsonObject();
            JsonArray list = videoroom(new JsonObject().put("request", "listparticipants")).getJsonArray("participants");
            for (int i = 0; i < list.size(); i++) {
                JsonObject p = list.getJsonObject(i);
                if (p.getBoolean("publisher", false)) byName.put(p.getString("display"), p.getLong("id"));
            }
            if (byName.size() >= count) return byName;
            Thread.sleep(200);
        }
        throw new AssertionError("publishers in the room: " + byName);
    }

    /**
     * rtp_forward of a publisher's audio (mid 0) and video (mid 1) to Roomcast's RTP port with the SSRCs
     * and payload types given at join; with {@code videoRtcp} Janus also reads RTCP feedback for the video
     * (keyframe requests) on a socket of its own. Answers the forwarders' stream ids.
     */
    public long[] forward(long publisher, int port, long audioSsrc, long videoSsrc, boolean videoRtcp) throws Exception {
        JsonObject video = new JsonObject().put("mid", "1").put("port", port).put("ssrc", videoSsrc).put("pt", 96);
        if (videoRtcp) video.put("rtcp_port", port);
        JsonArray fwd = videoroom(new JsonObject().put("request", "rtp_forward").put("publisher_id", publisher)
                .put("host", "127.0.0.1").put("streams", new JsonArray()
                        .add(new JsonObject().put("mid", "0").put("port", port).put("ssrc", audioSsrc).put("pt", 111))
                        .add(video))).getJsonArray("forwarders");
        long[] ids = new long[fwd.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = fwd.getJsonObject(i).getLong("stream_id");
        return ids;
    }

    public void stopForward(long publisher, long[] streamIds) throws Exception {
        for (long id : streamIds) {
            videoroom(new JsonObject().put("request", "stop_rtp_forward").put("publisher_id", publisher).put("stream_id", id));
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
    }
}
