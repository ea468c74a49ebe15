package io.roomcast.support;

import io.roomcast.Roomcast;
import io.roomcast.config.Config;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Starts a real node on ephemeral ports with its own data dir (and so its own embedded S3). */
public final class TestNode {
    private TestNode() {
    }

    public static Map<String, Object> defaults(Path dataDir) {
        Map<String, Object> o = new HashMap<>();
        o.put("dataDir", dataDir.toString());
        o.put("http.port", 0);
        o.put("s3.port", 0);
        o.put("rtp.port", 0);
        o.put("sessions.graceSeconds", 1);
        o.put("webhooks.initialBackoffMs", 100);
        o.put("webhooks.maxBackoffMs", 400);
        return o;
    }

    public static Roomcast start(Path dataDir) throws Exception {
        return start(defaults(dataDir));
    }

    public static Roomcast start(Map<String, Object> overrides) throws Exception {
        return Roomcast.start(Config.withOverrides(new HashMap<>(overrides)));
    }
}
