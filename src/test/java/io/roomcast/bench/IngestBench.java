package io.roomcast.bench;

import io.roomcast.api.TokenMinter;
import io.roomcast.support.Api;
import io.roomcast.support.JarProcess;
import io.roomcast.support.RtpCapture;
import io.roomcast.support.RtpSender;
import io.roomcast.support.Wav;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Ingest cost: the CPU of a running node (the built jar, its own process) while participants send
 * VP8 640x360@25 + Opus speech as real RTP, replayed from memory by a sender that costs almost nothing.
 * Run with {@code mvn -B -Pbench verify}; results go to target/bench/ingest.json.
 */
class IngestBench {
    static final String SECRET = "bench-secret-that-is-long-enough-for-hs256!";
    static final int SECONDS = Integer.getInteger("bench.seconds", 30);
    static final int PARTICIPANTS = Integer.getInteger("bench.participants", 1);
    /** "head": a webcam-like talking head (default); "full": every pixel moves every frame. */
    static final String MOTION = System.getProperty("bench.motion", "head");

    @TempDir
    Path work;

    /** A process's CPU at one instant, whole and per thread: two of them give the cores in between. */
    record CpuMark(long ticks, long nanos, Map<String, Long> threads) {
        static CpuMark of(long pid) throws Exception {
            return new CpuMark(cpuTicks(pid), System.nanoTime(), threadTicks(pid));
        }

        double coresSince(CpuMark from) {
            return (ticks - from.ticks) / 100.0 / secondsSince(from);
        }

        double secondsSince(CpuMark from) {
            return (nanos - from.nanos) / 1e9;
        }

        JsonObject threadCoresSince(CpuMark from) {
            return threadCores(from.threads, threads, secondsSince(from));
        }
    }

    static long cpuTicks(long pid) throws Exception {
        String[] f = Files.readString(Path.of("/proc/" + pid + "/stat")).replaceAll("^.*\\) ", "").split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime + stime, in 1/100 s
    }

    /** CPU ticks per thread name (digits folded), from /proc/pid/task. */
    static Map<String, Long> threadTicks(long pid) throws Exception {
        Map<String, Long> out = new TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(t.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9]+", "#");
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    out.merge(name, Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
                } catch (Exception e) {
                    // the thread ended meanwhile
                }
            }
        }
        return out;
    }

    static long rssKb(long pid) throws Exception {
        return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.startsWith("VmRSS"))
                .map(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).findFirst().orElse(0L);
    }

    static List<byte[]> capture(boolean video, long ssrc) throws Exception {
        return capture(video, ssrc, MOTION);
    }

    /** {@code SECONDS} of pre-encoded RTP: a VP8 640x360@25 camera of the given motion, or Opus speech. */
    static List<byte[]> capture(boolean video, long ssrc, String motion) throws Exception {
        try (RtpCapture cap = new RtpCapture()) {
            if (video) {
                try (RtpSender s = RtpSender.video(cap.port(), ssrc, 96, "vp8", 640, 360).unpaced()) {
                    if (motion.equals("head")) s.talkingHead();
                    s.startTestSignal(SECONDS);
                    s.join();
                }
            } else {
                Wav speech = Wav.read(Wav.speech("s25.wav"));
                short[] samples = new short[speech.sampleRate * SECONDS];
                for (int i = 0; i < samples.length; i++) samples[i] = speech.samples[i % speech.samples.length];
                try (RtpSender s = RtpSender.opus(cap.port(), ssrc, 111).unpaced()) {
                    s.startSamples(samples, speech.sampleRate);
                    s.join();
                }
            }
            Thread.sleep(300);
            return cap.packets();
        }
    }

    @Test
    void ingestAndDecodeCost() throws Exception {
        List<List<byte[]>> tracks = new ArrayList<>();
        List<Integer> rates = new ArrayList<>();
        List<byte[]> audio = capture(false, 0x5000);
        List<byte[]> video = capture(true, 0x5001);
        for (int p = 0; p < PARTICIPANTS; p++) {
            tracks.add(withSsrc(audio, 0x6000 + 2 * p));
            rates.add(48000);
            tracks.add(withSsrc(video, 0x6001 + 2 * p));
            rates.add(90000);
        }
        Map<String, String> env = JarProcess.env(work.resolve("data"), SECRET);
        env.put("ROOMCAST_DECODE_VIDEO", "always"); // ingest plus decode, with no output running
        try (JarProcess node = JarProcess.start(work, env)) {
            long pid = node.pid();
            Api api = new Api(node.httpPort, TokenMinter.mint(SECRET, "bench", null, 3600));
            Thread.sleep(3000);
            long idle0 = cpuTicks(pid);
            long idleT0 = System.nanoTime();
            Thread.sleep(10_000);
            double idleCores = (cpuTicks(pid) - idle0) / 100.0 / ((System.nanoTime() - idleT0) / 1e9);

            String room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
            for (int p = 0; p < PARTICIPANTS; p++) {
                api.post("/v2/rooms/" + room + "/participants", new JsonObject().put("participantId", "p" + p)
                        .put("name", "P" + p).put("tracks", new JsonArray()
                                .add(new JsonObject().put("kind", "audio").put("codec", "opus").put("ssrc", 0x6000 + 2 * p).put("payloadType", 111))
                                .add(new JsonObject().put("kind", "video").put("codec", "vp8").put("ssrc", 0x6001 + 2 * p).put("payloadType", 96))));
            }
            int rtpPort = Integer.parseInt(env.get("ROOMCAST_RTP_PORT"));
            long[] window = new long[4];
            List<Map<String, Long>> threads = new ArrayList<>(List.of(Map.of(), Map.of()));
            Thread sampler = new Thread(() -> {
                try {
                    Thread.sleep(5000); // skip warm-up (JIT, first keyframe)
                    window[0] = cpuTicks(pid);
                    window[1] = System.nanoTime();
                    threads.set(0, threadTicks(pid));
                    Thread.sleep((SECONDS - 7) * 1000L);
                    window[2] = cpuTicks(pid);
                    window[3] = System.nanoTime();
                    threads.set(1, threadTicks(pid));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            sampler.start();
            long senderCpu = RtpCapture.replay(rtpPort, tracks, rates);
            sampler.join();
            Thread.sleep(500);
            double busyCores = (window[2] - window[0]) / 100.0 / ((window[3] - window[1]) / 1e9);
            JsonObject stats = api.get("/v2/rooms/" + room + "/participants/p0/stats").json();
            JsonObject result = new JsonObject()
                    .put("participants", PARTICIPANTS)
                    .put("seconds", SECONDS)
                    .put("video", "VP8 640x360@25, " + (MOTION.equals("head") ? "talking head" : "full-frame motion"))
                    .put("videoKbps", video.stream().mapToLong(p -> p.length).sum() * 8 / 1000 / SECONDS)
                    .put("audio", "Opus 48 kHz speech (~48 kb/s)")
                    .put("nodeIdleCores", round(idleCores))
                    .put("nodeBusyCores", round(busyCores))
                    .put("ingestCoresPerParticipant", round((busyCores - idleCores) / PARTICIPANTS))
                    .put("senderCoresPerParticipant", round(senderCpu / 1e9 / SECONDS / PARTICIPANTS))
                    .put("rssMb", rssKb(pid) / 1024)
                    .put("threadCores", threadCores(threads.get(0), threads.get(1), (window[3] - window[1]) / 1e9))
                    .put("p0", stats.getJsonArray("tracks"));
            Path out = Path.of("target", "bench");
            Files.createDirectories(out);
            Files.writeString(out.resolve("ingest-" + PARTICIPANTS + "-" + MOTION + ".json"), result.encodePrettily());
            System.out.println("INGEST BENCH " + result.encode());
            node.terminate(); // a clean exit, so a JFR recording given in roomcast.jvmArgs is written
            for (Object o : stats.getJsonArray("tracks")) {
                JsonObject t = (JsonObject) o;
                if (t.getLong("framesDecoded") < (t.getString("kind").equals("video") ? 20L * SECONDS : 45L * SECONDS)) {
                    throw new AssertionError("the node fell behind: " + t.encode());
                }
            }
        }
    }

    static JsonObject threadCores(Map<String, Long> before, Map<String, Long> after, double seconds) {
        JsonObject out = new JsonObject();
        after.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), (e.getValue() - before.getOrDefault(e.getKey(), 0L)) / 100.0 / seconds))
                .filter(e -> e.getValue() >= 0.002)
                .sorted((a, b) -> Double.compare(b.getValue(), a.getValue()))
                .forEach(e -> out.put(e.getKey(), round(e.getValue())));
        return out;
    }

    static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    static List<byte[]> withSsrc(List<byte[]> packets, long ssrc) {
        List<byte[]> out = new ArrayList<>(packets.size());
        for (byte[] p : packets) {
            byte[] c = p.clone();
            c[8] = (byte) (ssrc >> 24);
            c[9] = (byte) (ssrc >> 16);
            c[10] = (byte) (ssrc >> 8);
            c[11] = (byte) ssrc;
            out.add(c);
        }
        return out;
    }
}
