package io.roomcast.support;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A cluster key store made the way README "Running several nodes" tells users to: the JDK's
 * {@code keytool}, one self-signed key pair in a PKCS12 file that all nodes share.
 */
public final class ClusterKeys {
    public static final String PASSWORD = "cluster-test-store-pass";
    public static final String SECRET = "cluster-test-shared-secret-0123456789";

    private ClusterKeys() {
    }

    /** Writes {@code dir/name.p12} with a new key pair and returns its path. */
    public static Path generate(Path dir, String name) throws Exception {
        Path file = dir.resolve(name + ".p12");
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(List.of(keytool.toString(), "-genkeypair", "-alias", "roomcast-cluster",
                "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "30", "-dname", "CN=" + name,
                "-storetype", "PKCS12", "-keystore", file.toString(), "-storepass", PASSWORD))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IllegalStateException("keytool: " + out);
        return file;
    }

    /** The config keys of a cluster member holding {@code secret} and the key store {@code store}. */
    public static void put(Map<String, Object> cfg, String secret, Path store) {
        cfg.put("cluster.secret", secret);
        cfg.put("cluster.keyStore", store.toString());
        cfg.put("cluster.keyStorePassword", PASSWORD);
    }

    /** The same, as environment variables of a {@code java -jar} node. */
    public static void putEnv(Map<String, String> env, String secret, Path store) {
        env.put("ROOMCAST_CLUSTER_SECRET", secret);
        env.put("ROOMCAST_CLUSTER_KEYSTORE", store.toString());
        env.put("ROOMCAST_CLUSTER_KEYSTORE_PASSWORD", PASSWORD);
    }
}
