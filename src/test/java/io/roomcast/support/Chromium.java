package io.roomcast.support;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's Chromium, headless, publishing its fake camera and a WAV file as its microphone to Janus
 * with {@code interop/janus-publish.html}, as a person's browser would over WebRTC.
 */
public final class Chromium implements AutoCloseable {
    /**
     * Headless and quiet: without the background-networking flags Chromium keeps dialling Google's
     * hosts, which this closed network refuses. {@link Browser} starts it with the same flags.
     */
    static final List<String> HEADLESS = List.of("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync");

    private final Process process;
    private final Path dir;

    private Chromium(Process process, Path dir) {
        this.process = process;
        this.dir = dir;
    }

    /** Opens the publisher page; the browser keeps publishing until closed. The WAV is played once. */
    public static Chromium publish(Path dir, Janus janus, String display, Path wav) throws Exception {
        Files.createDirectories(dir);
        Path page = dir.resolve("janus-publish.html");
        try (var in = Chromium.class.getResourceAsStream("/interop/janus-publish.html")) {
            Files.write(page, in.readAllBytes());
        }
        String url = page.toUri() + "?janus=" + URLEncoder.encode(janus.url(), StandardCharsets.UTF_8) + "&room=" + Janus.ROOM
                + "&display=" + URLEncoder.encode(display, StandardCharsets.UTF_8);
        List<String> cmd = new ArrayList<>(List.of("chromium"));
        cmd.addAll(HEADLESS);
        cmd.addAll(List.of("--user-data-dir=" + dir.resolve("profile"), "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream", "--use-file-for-fake-audio-capture=" + wav + "%noloop",
                "--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required",
                "--remote-debugging-port=0", url));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("chromium.log").toFile()).start();
        return new Chromium(p, dir);
    }

    public String log() throws IOException {
        return Files.readString(dir.resolve("chromium.log"));
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
    }
}
