package io.roomcast.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Defaults, then --config FILE, then ROOMCAST_* variables; any bad key is named at start. */
class ConfigTest {
    @TempDir
    Path dir;

    @Test
    void defaultsMatchTheDesign() {
        Config c = Config.load(null, Map.of());
        assertEquals(8080, c.integer("http.port"));
        assertEquals(5004, c.integer("rtp.port"));
        assertEquals("127.0.0.1", c.str("rtp.publicHost"));
        assertEquals("", c.str("s3.endpoint"));
        assertEquals(9000, c.integer("s3.port"));
        assertEquals("roomcast", c.str("s3.bucket"));
        assertEquals("./data", c.str("dataDir"));
        assertFalse(c.bool("cluster.enabled"));
        assertTrue(c.usesDevelopmentJwtSecret());
    }

    @Test
    void fileThenEnvironmentOverride() throws Exception {
        Path file = dir.resolve("my.json");
        Files.writeString(file, "{\"http\": {\"port\": 9090}, \"s3\": {\"bucket\": \"from-file\", \"region\": \"eu-west-1\"}}");
        Path store = Files.writeString(dir.resolve("cluster.p12"), "not read until the node starts");
        Config c = Config.load(file, Map.of(
                "ROOMCAST_CLUSTER_SECRET", "a-cluster-secret-of-enough-length",
                "ROOMCAST_CLUSTER_KEYSTORE", store.toString(),
                "ROOMCAST_S3_BUCKET", "from-env",
                "ROOMCAST_RTP_PORT", "6000",
                "ROOMCAST_PUBLIC_HOST", "203.0.113.7",
                "ROOMCAST_CLUSTER", "true",
                "ROOMCAST_CLUSTER_MEMBERS", "10.0.0.1:5701,10.0.0.2:5701",
                "ROOMCAST_JWT_SECRET", "a-production-secret-of-at-least-32-chars"));
        assertEquals(9090, c.integer("http.port"));
        assertEquals("from-env", c.str("s3.bucket"));
        assertEquals("eu-west-1", c.str("s3.region"));
        assertEquals(6000, c.integer("rtp.port"));
        assertEquals("203.0.113.7", c.str("rtp.publicHost"));
        assertTrue(c.bool("cluster.enabled"));
        assertEquals("10.0.0.1:5701,10.0.0.2:5701", c.str("cluster.members"));
        assertFalse(c.usesDevelopmentJwtSecret());
        assertFalse(c.redacted().encode().contains("a-production-secret"), "secrets are masked in the log form");
        assertFalse(c.redacted().encode().contains("a-cluster-secret"), "secrets are masked in the log form");
    }

    @Test
    void aClusterNeedsASecretAndAKeyStore() throws Exception {
        Path store = Files.writeString(dir.resolve("cluster.p12"), "x");
        String noSecret = failure(null, Map.of("ROOMCAST_CLUSTER", "true", "ROOMCAST_CLUSTER_KEYSTORE", store.toString()));
        assertTrue(noSecret.contains("'cluster.secret'"), noSecret);
        String shortSecret = failure(null, Map.of("ROOMCAST_CLUSTER", "true", "ROOMCAST_CLUSTER_SECRET", "short-secret",
                "ROOMCAST_CLUSTER_KEYSTORE", store.toString()));
        assertTrue(shortSecret.contains("'cluster.secret'") && !shortSecret.contains("short-secret"), shortSecret);
        String secret = "a-cluster-secret-of-enough-length";
        String noStore = failure(null, Map.of("ROOMCAST_CLUSTER", "true", "ROOMCAST_CLUSTER_SECRET", secret));
        assertTrue(noStore.contains("'cluster.keyStore'"), noStore);
        String missing = failure(null, Map.of("ROOMCAST_CLUSTER", "true", "ROOMCAST_CLUSTER_SECRET", secret,
                "ROOMCAST_CLUSTER_KEYSTORE", dir.resolve("absent.p12").toString()));
        assertTrue(missing.contains("'cluster.keyStore'") && missing.contains("not a readable file"), missing);
        assertFalse(Config.load(null, Map.of("ROOMCAST_CLUSTER_SECRET", "x")).bool("cluster.enabled"),
                "a single node needs neither");
    }

    private String failure(Path file, Map<String, String> env) {
        return assertThrows(ConfigException.class, () -> Config.load(file, env)).getMessage();
    }

    @Test
    void badValuesAreRefusedNamingTheKey() throws Exception {
        assertTrue(failure(null, Map.of("ROOMCAST_HTTP_PORT", "eighty")).contains("'http.port'"));
        assertTrue(failure(null, Map.of("ROOMCAST_HTTP_PORT", "70000")).contains("'http.port'"));
        assertTrue(failure(null, Map.of("ROOMCAST_CLUSTER", "yes")).contains("'cluster.enabled'"));
        assertTrue(failure(null, Map.of("ROOMCAST_S3_ENDPOINT", "minio:9000")).contains("'s3.endpoint'"));
        assertTrue(failure(null, Map.of("ROOMCAST_S3_BUCKET", "Bad_Bucket")).contains("'s3.bucket'"));
        String shortSecret = failure(null, Map.of("ROOMCAST_JWT_SECRET", "short"));
        assertTrue(shortSecret.contains("'auth.jwtSecret'"));

        Path unknown = dir.resolve("unknown.json");
        Files.writeString(unknown, "{\"http\": {\"prot\": 1}}");
        assertTrue(failure(unknown, Map.of()).contains("'http.prot'"));
        Path wrongType = dir.resolve("type.json");
        Files.writeString(wrongType, "{\"sessions\": {\"graceSeconds\": \"soon\"}}");
        assertTrue(failure(wrongType, Map.of()).contains("'sessions.graceSeconds'"));
        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{\"http\": ");
        assertTrue(failure(broken, Map.of()).contains("not valid JSON"));
        assertTrue(failure(dir.resolve("missing.json"), Map.of()).contains("cannot read"));
    }

    @Test
    void secretsNeverAppearInErrors() throws Exception {
        Path file = dir.resolve("s.json");
        Files.writeString(file, "{\"s3\": {\"secretKey\": 12345}}");
        String message = failure(file, Map.of());
        assertTrue(message.contains("'s3.secretKey'"));
        assertFalse(message.contains("12345"), message);
    }
}
