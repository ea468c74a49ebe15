package io.roomcast.config;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Roomcast's configuration: {@code config/roomcast.json} (or the copy inside the jar) holds every key
 * with its default; a file given with {@code --config FILE} overrides some of them; the environment
 * variables in {@link #ENV} override both. The defaults file is also the schema: a key it does not
 * have, or a value of another type, is refused at start with a message naming the key.
 */
public final class Config {

    /** Environment variable -> dotted key. The names in DESIGN.md are a contract; the rest are ours. */
    public static final Map<String, String> ENV = new LinkedHashMap<>();

    static {
        ENV.put("ROOMCAST_HTTP_HOST", "http.host");
        ENV.put("ROOMCAST_HTTP_PORT", "http.port");
        ENV.put("ROOMCAST_HTTP_KEYSTORE", "http.keyStore");
        ENV.put("ROOMCAST_HTTP_KEYSTORE_PASSWORD", "http.keyStorePassword");
        ENV.put("ROOMCAST_RTP_HOST", "rtp.host");
        ENV.put("ROOMCAST_RTP_PORT", "rtp.port");
        ENV.put("ROOMCAST_PUBLIC_HOST", "rtp.publicHost");
        ENV.put("ROOMCAST_JITTER_MS", "ingest.jitterMs");
        ENV.put("ROOMCAST_DECODE_VIDEO", "ingest.decodeVideo");
        ENV.put("ROOMCAST_JIT", "jvm.jit");
        ENV.put("ROOMCAST_MODELS_DIR", "transcription.modelsDir");
        ENV.put("ROOMCAST_ASR_THREADS", "transcription.threads");
        ENV.put("ROOMCAST_POSTCALL_FILES", "postCall.filesInParallel");
        ENV.put("ROOMCAST_DATA_DIR", "dataDir");
        ENV.put("ROOMCAST_MAX_SPILL_BYTES", "limits.maxSpillBytesPerRecording");
        ENV.put("ROOMCAST_PIPELINES_DIR", "pipelines.dir");
        ENV.put("ROOMCAST_VIDEO_ENCODER", "outputs.videoEncoder");
        ENV.put("ROOMCAST_JWT_SECRET", "auth.jwtSecret");
        ENV.put("ROOMCAST_JWT_PREVIOUS_SECRET", "auth.previousJwtSecret");
        ENV.put("ROOMCAST_S3_ENDPOINT", "s3.endpoint");
        ENV.put("ROOMCAST_S3_PORT", "s3.port");
        ENV.put("ROOMCAST_S3_BUCKET", "s3.bucket");
        ENV.put("ROOMCAST_S3_ACCESS_KEY", "s3.accessKey");
        ENV.put("ROOMCAST_S3_SECRET_KEY", "s3.secretKey");
        ENV.put("ROOMCAST_S3_REGION", "s3.region");
        ENV.put("ROOMCAST_S3_PRESIGN_SECONDS", "s3.presignSeconds");
        ENV.put("ROOMCAST_SESSION_GRACE_SECONDS", "sessions.graceSeconds");
        ENV.put("ROOMCAST_WEBHOOK_SECRET", "webhooks.secret");
        ENV.put("ROOMCAST_CLUSTER", "cluster.enabled");
        ENV.put("ROOMCAST_CLUSTER_PORT", "cluster.port");
        ENV.put("ROOMCAST_CLUSTER_MEMBERS", "cluster.members");
        ENV.put("ROOMCAST_CLUSTER_HOST", "cluster.host");
        ENV.put("ROOMCAST_NODE_NAME", "cluster.nodeName");
        ENV.put("ROOMCAST_CLUSTER_SECRET", "cluster.secret");
        ENV.put("ROOMCAST_CLUSTER_KEYSTORE", "cluster.keyStore");
        ENV.put("ROOMCAST_CLUSTER_KEYSTORE_PASSWORD", "cluster.keyStorePassword");
        ENV.put("ROOMCAST_CLUSTER_TRUSTSTORE", "cluster.trustStore");
        ENV.put("ROOMCAST_CLUSTER_TRUSTSTORE_PASSWORD", "cluster.trustStorePassword");
    }

    /** Keys whose values must never be printed. */
    private static final List<String> SECRETS = List.of("http.keyStorePassword", "auth.jwtSecret", "auth.previousJwtSecret", "s3.accessKey", "s3.secretKey",
            "webhooks.secret", "cluster.secret", "cluster.keyStorePassword", "cluster.trustStorePassword");

    public static final String DEFAULT_FILE = "config/roomcast.json";
    public static final String DEV_JWT_SECRET_MARKER = "roomcast-development-secret";

    private final JsonObject json;

    private Config(JsonObject json) {
        this.json = json;
    }

    /**
     * Loads the defaults, then {@code overrideFile} (may be null), then {@code env}, and validates.
     *
     * @throws ConfigException naming the first bad key
     */
    public static Config load(Path overrideFile, Map<String, String> env) {
        JsonObject defaults = readDefaults();
        JsonObject merged = defaults.copy();
        if (overrideFile != null) {
            JsonObject user = readFile(overrideFile);
            mergeChecked(defaults, user, merged, "", overrideFile.toString());
        }
        for (Map.Entry<String, String> e : ENV.entrySet()) {
            String value = env.get(e.getKey());
            if (value != null) {
                setFromString(merged, e.getValue(), value, e.getKey());
            }
        }
        Config config = new Config(merged);
        config.validate();
        return config;
    }

    /** Defaults plus the given overrides (dotted keys), for tests and embedding. */
    public static Config withOverrides(Map<String, Object> overrides) {
        JsonObject merged = readDefaults();
        for (Map.Entry<String, Object> e : overrides.entrySet()) {
            setFromString(merged, e.getKey(), String.valueOf(e.getValue()), e.getKey());
        }
        Config config = new Config(merged);
        config.validate();
        return config;
    }

    private static JsonObject readDefaults() {
        Path onDisk = Path.of(DEFAULT_FILE);
        if (Files.isRegularFile(onDisk)) {
            return readFile(onDisk);
        }
        try (InputStream in = Config.class.getResourceAsStream("/" + DEFAULT_FILE)) {
            if (in == null) {
                throw new ConfigException("config: no " + DEFAULT_FILE + " in the working directory or the jar");
            }
            return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ConfigException("config: cannot read the built-in defaults: " + e.getMessage());
        }
    }

    private static JsonObject readFile(Path file) {
        try {
            return new JsonObject(Files.readString(file));
        } catch (IOException e) {
            throw new ConfigException("config: cannot read " + file + ": " + e.getMessage());
        } catch (DecodeException e) {
            throw new ConfigException("config: " + file + " is not valid JSON: " + e.getMessage());
        }
    }

    private static void mergeChecked(JsonObject schema, JsonObject user, JsonObject target, String prefix, String source) {
        for (String key : user.fieldNames()) {
            String path = prefix + key;
            if (!schema.containsKey(key)) {
                throw new ConfigException("config: unknown key '" + path + "' in " + source);
            }
            Object expected = schema.getValue(key);
            Object given = user.getValue(key);
            if (expected instanceof JsonObject exp) {
                if (!(given instanceof JsonObject g)) {
                    throw new ConfigException("config: '" + path + "' in " + source + " must be an object");
                }
                mergeChecked(exp, g, target.getJsonObject(key), path + ".", source);
            } else {
                target.put(key, coerce(expected, given, path, source));
            }
        }
    }

    private static Object coerce(Object expected, Object given, String path, String source) {
        if (expected instanceof String) {
            if (given instanceof String) return given;
        } else if (expected instanceof Boolean) {
            if (given instanceof Boolean) return given;
        } else if (expected instanceof Integer || expected instanceof Long) {
            if (given instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) return n.longValue();
        } else if (expected instanceof Number) {
            if (given instanceof Number n) return n.doubleValue();
        }
        throw new ConfigException("config: '" + path + "' from " + source + " must be a " + typeName(expected)
                + " (got " + describe(path, given) + ")");
    }

    private static void setFromString(JsonObject root, String dotted, String raw, String source) {
        String[] parts = dotted.split("\\.");
        JsonObject node = root;
        for (int i = 0; i < parts.length - 1; i++) {
            node = node.getJsonObject(parts[i]);
            if (node == null) throw new ConfigException("config: unknown key '" + dotted + "' from " + source);
        }
        String leaf = parts[parts.length - 1];
        if (!node.containsKey(leaf)) throw new ConfigException("config: unknown key '" + dotted + "' from " + source);
        Object expected = node.getValue(leaf);
        Object value;
        try {
            if (expected instanceof String) {
                value = raw;
            } else if (expected instanceof Boolean) {
                if (!raw.equalsIgnoreCase("true") && !raw.equalsIgnoreCase("false")) throw new NumberFormatException();
                value = Boolean.parseBoolean(raw);
            } else if (expected instanceof Integer || expected instanceof Long) {
                value = Long.parseLong(raw.trim());
            } else if (expected instanceof Number) {
                value = Double.parseDouble(raw.trim());
            } else {
                throw new ConfigException("config: '" + dotted + "' cannot be set from " + source);
            }
        } catch (NumberFormatException e) {
            throw new ConfigException("config: '" + dotted + "' from " + source + " must be a " + typeName(expected)
                    + " (got " + describe(dotted, raw) + ")");
        }
        node.put(leaf, value);
    }

    private static String typeName(Object expected) {
        if (expected instanceof String) return "string";
        if (expected instanceof Boolean) return "boolean (true/false)";
        if (expected instanceof Integer || expected instanceof Long) return "whole number";
        return "number";
    }

    private static String describe(String path, Object value) {
        if (SECRETS.contains(path)) return "a value that is not shown";
        String s = String.valueOf(value);
        return "'" + (s.length() > 40 ? s.substring(0, 40) + "…" : s) + "'";
    }

    private void validate() {
        requirePort("http.port");
        requirePort("rtp.port");
        requirePort("s3.port");
        requirePort("cluster.port");
        requireNonBlank("cluster.host");
        requireRange("cluster.failureSeconds", 2, 600);
        double maxLoad = num("cluster.maxLoad").doubleValue();
        if (!(maxLoad > 0 && maxLoad <= 1)) fail("cluster.maxLoad", "must be above 0 and at most 1 (got " + maxLoad + ")");
        if (bool("cluster.enabled")) validateClusterSecurity();
        requireNonBlank("http.host");
        String httpStore = str("http.keyStore");
        if (!httpStore.isBlank() && !Files.isReadable(Path.of(httpStore))) fail("http.keyStore", "is not a readable file: " + httpStore);
        requireNonBlank("rtp.host");
        requireNonBlank("rtp.publicHost");
        requireNonBlank("dataDir");
        requireNonBlank("s3.bucket");
        requireNonBlank("s3.accessKey");
        requireNonBlank("s3.region");
        requireNonBlank("s3.host");
        if (str("auth.jwtSecret").length() < 32) {
            fail("auth.jwtSecret", "must be at least 32 characters (HS256 needs a 256-bit secret)");
        }
        String previous = str("auth.previousJwtSecret");
        if (!previous.isEmpty() && previous.length() < 32) fail("auth.previousJwtSecret", "must be empty or at least 32 characters");
        if (previous.equals(str("auth.jwtSecret"))) fail("auth.previousJwtSecret", "must differ from auth.jwtSecret");
        if (str("s3.secretKey").length() < 8) fail("s3.secretKey", "must be at least 8 characters");
        if (str("webhooks.secret").length() < 16) fail("webhooks.secret", "must be at least 16 characters");
        if (!str("s3.bucket").matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            fail("s3.bucket", "must be a valid S3 bucket name (3-63 of a-z, 0-9, '.', '-')");
        }
        String endpoint = str("s3.endpoint");
        if (!endpoint.isEmpty()) {
            try {
                URI uri = URI.create(endpoint);
                if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                    fail("s3.endpoint", "must be an http(s) URL such as http://minio:9000");
                }
            } catch (IllegalArgumentException e) {
                fail("s3.endpoint", "must be an http(s) URL such as http://minio:9000");
            }
        }
        requireRange("http.maxBodyBytes", 1024, 64L * 1024 * 1024);
        requireRange("ingest.jitterMs", 0, 2000);
        requireRange("mix.audioDelayMs", 20, 5000);
        requireNonBlank("transcription.modelsDir");
        requireNonBlank("transcription.defaultLanguage");
        requireRange("transcription.vadHangoverMs", 20, 10_000);
        requireRange("transcription.partialIntervalMs", 20, 10_000);
        requireRange("transcription.maxCaptionsPerTranscription", 1, 10_000_000);
        requireRange("transcription.maxQueuedFrames", 100, 10_000_000);
        requireRange("transcription.maxLagMs", 0, 3_600_000);
        requireRange("transcription.threads", 1, 64);
        requireRange("events.resumeEventsPerRoom", 0, 1_000_000);
        requireRange("events.resumeSeconds", 1, 86_400);
        requireRange("messages.maxTopicChars", 1, 256);
        requireRange("messages.maxMessageChars", 1, 1_000_000);
        requireRange("messages.maxPayloadBytes", 0, 1_000_000);
        requireRange("messages.perSenderPerSecond", 1, 10_000);
        requireRange("messages.maxPersistedPerSession", 0, 10_000_000);
        requireRange("messages.maxPollOptions", 2, 1000);
        requireRange("ingest.silenceSeconds", 1, 3600);
        requireRange("ingest.relatchAfterMs", 100, 60_000);
        requireRange("ingest.maxPacketsPerSecondPerTrack", 10, 100_000);
        requireRange("ingest.maxQueuedPacketsPerRoom", 16, 1_000_000);
        requireRange("ingest.maxDatagramBytes", 64, 65535);
        requireRange("ingest.keyframeRequestIntervalMs", 10, 60_000);
        if (!List.of("c1", "default").contains(str("jvm.jit"))) {
            fail("jvm.jit", "must be c1 (the JVM's quick compiler only: a cheaper first minute) or default (the JVM's choice)");
        }
        if (!List.of("on-demand", "always").contains(str("ingest.decodeVideo"))) {
            fail("ingest.decodeVideo", "must be on-demand (only while an output shows video) or always");
        }
        requireRange("s3.presignSeconds", 1, 7 * 24 * 3600);
        requireRange("sessions.graceSeconds", 0, 24 * 3600);
        requireRange("limits.maxRooms", 1, 10_000_000);
        requireRange("limits.maxParticipantsPerRoom", 1, 10_000);
        requireRange("limits.maxTracksPerParticipant", 1, 64);
        requireRange("limits.maxPerPage", 1, 1000);
        requireRange("limits.maxStringLength", 16, 4096);
        requireRange("limits.apiRequestsPerSecondPerToken", 1, 1_000_000);
        requireRange("limits.maxSpillBytesPerRecording", 64 * 1024, Long.MAX_VALUE);
        requireRange("webhooks.maxAttempts", 1, 100);
        requireRange("webhooks.initialBackoffMs", 1, 3_600_000);
        requireRange("webhooks.maxBackoffMs", 1, 86_400_000);
        requireRange("webhooks.timeoutMs", 100, 600_000);
        requireRange("webhooks.maxPending", 1, 10_000_000);
    }

    /** A cluster is never open: a shared secret for joining and a certificate for the event bus. */
    private void validateClusterSecurity() {
        if (str("cluster.secret").length() < 16) {
            fail("cluster.secret", "must be at least 16 characters when cluster.enabled (ROOMCAST_CLUSTER_SECRET): "
                    + "a node without it cannot join");
        }
        for (String key : List.of("cluster.keyStore", "cluster.trustStore")) {
            String file = str(key);
            if (key.equals("cluster.keyStore") && file.isBlank()) {
                fail(key, "must name a PKCS12 keystore when cluster.enabled: the event bus between nodes is TLS with "
                        + "client certificates (see README, Running several nodes)");
            }
            if (!file.isBlank() && !Files.isReadable(Path.of(file))) fail(key, "is not a readable file: " + file);
        }
    }

    private void requirePort(String key) {
        requireRange(key, 0, 65535);
    }

    private void requireRange(String key, long min, long max) {
        long v = lng(key);
        if (v < min || v > max) fail(key, "must be between " + min + " and " + max + " (got " + v + ")");
    }

    private void requireNonBlank(String key) {
        if (str(key).isBlank()) fail(key, "must not be empty");
    }

    private static void fail(String key, String why) {
        throw new ConfigException("config: '" + key + "' " + why);
    }

    private Object value(String dotted) {
        String[] parts = dotted.split("\\.");
        JsonObject node = json;
        for (int i = 0; i < parts.length - 1; i++) node = node.getJsonObject(parts[i]);
        return node.getValue(parts[parts.length - 1]);
    }

    public String str(String dotted) {
        return (String) value(dotted);
    }

    public long lng(String dotted) {
        return ((Number) value(dotted)).longValue();
    }

    public int integer(String dotted) {
        return Math.toIntExact(lng(dotted));
    }

    public Number num(String dotted) {
        return (Number) value(dotted);
    }

    public boolean bool(String dotted) {
        return (Boolean) value(dotted);
    }

    public Path dataDir() {
        return Path.of(str("dataDir")).toAbsolutePath().normalize();
    }

    public boolean usesDevelopmentJwtSecret() {
        return str("auth.jwtSecret").startsWith(DEV_JWT_SECRET_MARKER);
    }

    /** The effective configuration with secrets masked, for the start-up log. */
    public JsonObject redacted() {
        JsonObject copy = json.copy();
        for (String key : SECRETS) {
            String[] parts = key.split("\\.");
            copy.getJsonObject(parts[0]).put(parts[1], "***");
        }
        return copy;
    }
}
