package io.roomcast.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The built jar run as its own process, the way a user starts Roomcast. */
public final class JarProcess implements AutoCloseable {
    private final Process process;
    private final Path log;
    public final int httpPort;

    private JarProcess(Process process, Path log, int httpPort) {
        this.process = process;
        this.log = log;
        this.httpPort = httpPort;
    }

    public static Path jar() {
        Path jar = Path.of(System.getProperty("roomcast.jar", "target/roomcast.jar"));
        if (!Files.isRegularFile(jar)) throw new IllegalStateException("build the jar first: " + jar);
        return jar;
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /**
     * The environment of a node on free ports (HTTP, embedded S3, RTP) with its own data dir and JWT
     * secret; mutable, for a caller's additions.
     */
    public static Map<String, String> env(Path dataDir, String jwtSecret) throws IOException {
        Map<String, String> env = new HashMap<>();
        env.put("ROOMCAST_HTTP_PORT", Integer.toString(freePort()));
        env.put("ROOMCAST_S3_PORT", Integer.toString(freePort()));
        env.put("ROOMCAST_RTP_PORT", Integer.toString(freePort()));
        env.put("ROOMCAST_DATA_DIR", dataDir.toString());
        env.put("ROOMCAST_JWT_SECRET", jwtSecret);
        return env;
    }

    /** Runs {@code java -jar roomcast.jar args...} with {@code env} added, from {@code workDir}. */
    public static ProcessBuilder command(Path workDir, Map<String, String> env, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m"));
        String extra = System.getProperty("roomcast.jvmArgs", "").trim(); // e.g. a JFR recording for profiling
        if (!extra.isEmpty()) cmd.addAll(List.of(extra.split("\\s+")));
        cmd.addAll(List.of("-jar", jar().toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
        pb.environment().putAll(env);
        return pb;
    }

    /** Starts a node and waits until /ready answers 200. */
    public static JarProcess start(Path workDir, Map<String, String> env) throws Exception {
        int port = Integer.parseInt(env.get("ROOMCAST_HTTP_PORT"));
        Path log = Files.createTempFile(workDir, "roomcast", ".log");
        Process p = command(workDir, env).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        JarProcess jp = new JarProcess(p, log, port);
        HttpClient client = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) throw new IllegalStateException("roomcast exited " + p.exitValue() + ":\n" + jp.log());
            try {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ready"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) return jp;
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        jp.kill();
        throw new IllegalStateException("roomcast was not ready within 60 s:\n" + jp.log());
    }

    public long pid() {
        return process.pid();
    }

    public String log() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    /** SIGTERM, then the exit code. */
    public int terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            throw new IllegalStateException("roomcast ignored SIGTERM for 30 s");
        }
        return process.exitValue();
    }

    /** SIGKILL: no shutdown hook runs. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) kill();
    }
}
