package io.roomcast;

import io.roomcast.api.TokenMinter;
import io.roomcast.support.JarProcess;
import io.roomcast.support.Media;
import io.roomcast.support.Wer;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.Java2DFrameConverter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code java -jar target/roomcast.jar demo} as a newcomer runs it, for 30 s: it exits by itself
 * with the recording and transcript finalized; the MP4 shows the three cameras, and the captions it
 * printed and the transcript carry the words the participants said.
 */
class DemoIT {
    private static final Pattern CAPTION = Pattern.compile("^ {2}\\[(\\d\\d):(\\d\\d)] ([^:]+): (.+)$");

    @TempDir
    Path work;

    @Test
    void theDemoRecordsAndCaptionsTheRoomInOneCommand() throws Exception {
        Map<String, String> env = JarProcess.env(work.resolve("data"), "demo-test-secret-that-is-long-enough-for-hs256");
        env.put("ROOMCAST_MODELS_DIR", Path.of("models").toAbsolutePath().toString());
        Path log = work.resolve("demo.log");
        Process p = JarProcess.command(work, env, "demo", "--seconds", "30").redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean ended = p.waitFor(240, TimeUnit.SECONDS);
        String out = Files.readString(log, StandardCharsets.UTF_8);
        Files.createDirectories(Path.of("target", "demo"));
        Files.writeString(Path.of("target", "demo", "demo-output.txt"), out); // kept as a CI artefact
        if (!ended) p.destroyForcibly();
        assertTrue(ended, "the demo did not end by itself:\n" + out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("Watch it:    http://127.0.0.1:" + env.get("ROOMCAST_HTTP_PORT") + "/console/player.html?src="), out);
        assertTrue(out.contains("Demo finished."), out);

        // What each participant said in the first 30 s, against the captions printed under its name.
        Map<String, String> said = Map.of("Ada Lovelace", Wer.reference("s06.wav"), "Ben Okafor", Wer.reference("s02.wav"),
                "Cleo Martin", Wer.reference("s07.wav"));
        for (var e : said.entrySet()) {
            StringBuilder heard = new StringBuilder();
            for (String line : out.split("\n")) {
                Matcher m = CAPTION.matcher(line);
                if (m.matches() && m.group(3).equals(e.getKey())) heard.append(m.group(4)).append(' ');
            }
            double found = found(e.getValue(), heard.toString());
            assertTrue(found >= 0.75, e.getKey() + "'s captions carry " + found + " of '" + e.getValue() + "': " + heard + "\n" + out);
        }

        Path store = work.resolve("data").resolve("s3").resolve("roomcast");
        Path mp4 = only(store.resolve("recordings"), ".mp4");
        assertTrue(out.contains("  file:      " + mp4), out);
        Media.Probe probe = Media.probe(mp4.toString());
        assertEquals("h264", probe.videoCodec());
        assertEquals("aac", probe.audioCodec());
        assertEquals(640, probe.width());
        assertTrue(probe.seconds() > 26 && probe.seconds() < 32, "recording of " + probe.seconds() + " s");
        // The three cameras are in it: each participant's colour fills a good part of the picture.
        BufferedImage picture = pictureAt(mp4, 15);
        for (int rgb : new int[]{0x1c3f78, 0x784d05, 0x075a3f}) {
            double share = share(picture, rgb);
            assertTrue(share > 0.08, String.format("colour %06x covers %.3f of the picture", rgb, share));
        }

        String transcript = Files.readString(only(store.resolve("transcripts"), ".txt"));
        assertTrue(transcript.contains("Ada Lovelace") && transcript.contains("Ben Okafor"), transcript);
        assertTrue(found(said.get("Ben Okafor"), transcript) >= 0.75, transcript);
    }

    @Test
    void theDemoChecksANodeThatRunsElsewhereThroughItsApi() throws Exception {
        String secret = "demo-remote-secret-that-is-long-enough-for-hs256";
        Map<String, String> env = JarProcess.env(work.resolve("node-data"), secret);
        env.put("ROOMCAST_MODELS_DIR", Path.of("models").toAbsolutePath().toString());
        try (JarProcess node = JarProcess.start(work, env)) {
            String token = TokenMinter.mint(secret, "smoke-test", null, 600);
            Path log = work.resolve("remote-demo.log");
            // Its own config would start nothing: only the API of the node given is used.
            Process p = JarProcess.command(work, Map.of(), "demo", "--node", "http://127.0.0.1:" + node.httpPort, "--token", token,
                    "--seconds", "20").redirectErrorStream(true).redirectOutput(log.toFile()).start();
            boolean ended = p.waitFor(180, TimeUnit.SECONDS);
            String out = Files.readString(log, StandardCharsets.UTF_8);
            if (!ended) p.destroyForcibly();
            assertTrue(ended, out);
            assertEquals(0, p.exitValue(), out);
            Matcher rec = Pattern.compile("Recording: +recordings/\\S+\\.mp4 \\(([0-9.]+) s").matcher(out);
            assertTrue(rec.find(), out);
            double seconds = Double.parseDouble(rec.group(1));
            assertTrue(seconds > 17 && seconds < 22, "a recording of " + seconds + " s on the remote node: " + out);
            assertTrue(out.contains("Transcript:  transcripts/"), out);
            assertTrue(out.contains("Ben Okafor: "), "captions read from the remote node: " + out);
            assertTrue(!out.contains("  file:  "), "no local file: the store is the node's: " + out);
        }
        Process bad = JarProcess.command(work, Map.of(), "demo", "--node", "http://127.0.0.1:1").start();
        assertTrue(bad.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, bad.exitValue(), "--node without a token is a usage error");
    }

    /** The share of the reference's words that the hypothesis has (in any order). */
    static double found(String reference, String hypothesis) {
        Set<String> heard = new HashSet<>(Wer.words(hypothesis));
        List<String> words = Wer.words(reference);
        return words.stream().filter(heard::contains).count() / (double) words.size();
    }

    static Path only(Path dir, String suffix) throws Exception {
        try (Stream<Path> files = Files.walk(dir)) {
            List<Path> found = new ArrayList<>(files.filter(f -> f.toString().endsWith(suffix)).toList());
            assertEquals(1, found.size(), "files " + suffix + " under " + dir + ": " + found);
            return found.get(0);
        }
    }

    static BufferedImage pictureAt(Path mp4, double seconds) throws Exception {
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(mp4.toFile()); Java2DFrameConverter c = new Java2DFrameConverter()) {
            g.start();
            g.setVideoTimestamp((long) (seconds * 1e6));
            Frame f = g.grabImage();
            return c.getBufferedImage(f);
        }
    }

    /** The share of pixels within 40 (per channel) of {@code rgb}. */
    static double share(BufferedImage img, int rgb) {
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int p = img.getRGB(x, y);
                if (Math.abs((p >> 16 & 255) - (rgb >> 16 & 255)) < 40 && Math.abs((p >> 8 & 255) - (rgb >> 8 & 255)) < 40
                        && Math.abs((p & 255) - (rgb & 255)) < 40) n++;
            }
        }
        return n / (double) (img.getWidth() * img.getHeight());
    }
}
