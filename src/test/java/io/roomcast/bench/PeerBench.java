package io.roomcast.bench;

import io.roomcast.api.TokenMinter;
import io.roomcast.support.Api;
import io.roomcast.support.JarProcess;
import io.roomcast.support.Media;
import io.roomcast.support.RtpCapture;
import io.roomcast.support.Tracks;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Roomcast against the pipelines a user would build instead, side by side in one run on the same
 * inputs: three participants (VP8 640x360@25 + Opus, replayed from memory as real RTP) composed
 * into a 1280x720@25 grid at 1.5 Mb/s H.264 + AAC, written to an MP4, HLS and one RTMP push. The
 * peers: a GStreamer pipeline ({@code compositor} + {@code audiomixer} + {@code openh264enc} +
 * {@code avenc_aac}, tee'd to mp4mux / hlssink2 / flvmux + rtmpsink) and an FFmpeg command line
 * ({@code xstack} + {@code amix} + libx264 {@code veryfast} + aac, {@code tee} muxer). Each runs
 * alone; its process CPU is measured from {@code bench.warmupSeconds} to 2 s before the end.
 * Roomcast runs once without captions and once with live captions (the peers have none); the
 * microphones speak the clips of {@code ../shared/speech} in turns. Both camera kinds (talking head,
 * full motion) in one run. Each file's picture quality (Y-PSNR and SSIM of a camera's tile against
 * the camera's own pictures, {@link CompositeQuality}) and bitrate are reported beside the cores.
 * {@code mvn -B -Pbench verify -Dit.test=PeerBench [-Dbench.seconds=40 -Dbench.warmupSeconds=15
 * -Dbench.motions=head,full -Dbench.captions=true -Dbench.rounds=3]}.
 */
class PeerBench {
    static final int PARTICIPANTS = 3;
    static final int SECONDS = IngestBench.SECONDS;
    static final int WARMUP = Integer.getInteger("bench.warmupSeconds", 10);

    @TempDir
    Path work;

    /** Which camera pictures are run, in one harness run: talking heads and the full-motion test pattern by default. */
    static final List<String> MOTIONS = List.of(System.getProperty("bench.motions", "head,full").split(","));
    /** Whether Roomcast also runs with live captions (the peers have none). */
    static final boolean CAPTIONS = Boolean.parseBoolean(System.getProperty("bench.captions", "true"));
    /** How many times each pipeline runs, in turns; the median run of each is reported. */
    static final int ROUNDS = Integer.getInteger("bench.rounds", 1);

    /** One run; {@code camera} is where the first camera's picture sits in its composite (for the quality measure). */
    record Result(String pipeline, double cores, Path mp4, CompositeQuality.Placement camera, long mp4Bytes, long rtmpPackets,
                  double recordedSeconds, JsonObject threads) {
        double mbps() {
            return mp4Bytes * 8 / recordedSeconds / 1e6;
        }
    }

    @Test
    void roomcastAgainstGstreamerAndFfmpeg() throws Exception {
        // A meeting's speech, one participant at a time, the same for every pipeline.
        List<RoomBench.Turn> turns = RoomBench.schedule(TranscriptionBench.clips());
        List<List<byte[]>> voices = new ArrayList<>();
        for (int p = 0; p < PARTICIPANTS; p++) voices.add(RoomBench.voice(turns, p));
        JsonObject all = new JsonObject().put("seconds", SECONDS).put("warmupSeconds", WARMUP).put("participants", PARTICIPANTS).put("rounds", ROUNDS)
                .put("work", "2x2 grid 1280x720@25, 1.5 Mb/s H.264 + AAC, MP4 + HLS + RTMP");
        List<String> table = new ArrayList<>();
        List<String> qualityTable = new ArrayList<>();
        List<String> spread = new ArrayList<>();
        for (String motion : MOTIONS) {
            List<byte[]> video = IngestBench.capture(true, 0x5001, motion);
            List<List<byte[]>> tracks = new ArrayList<>();
            List<Integer> rates = new ArrayList<>();
            for (int p = 0; p < PARTICIPANTS; p++) {
                tracks.add(IngestBench.withSsrc(voices.get(p), 0x6000 + 2L * p));
                rates.add(48000);
                tracks.add(IngestBench.withSsrc(video, 0x6001 + 2L * p));
                rates.add(90000);
            }
            // Rounds take turns (Roomcast, GStreamer, FFmpeg, then again), so a slow spell of this
            // shared machine falls on every pipeline alike; each pipeline's median run is reported.
            List<List<Result>> runs = new ArrayList<>();
            for (int i = 0; i < 4; i++) runs.add(new ArrayList<>());
            for (int round = 0; round < ROUNDS; round++) {
                runs.get(0).add(roomcast(tracks, rates, false));
                if (CAPTIONS) runs.get(1).add(roomcast(tracks, rates, true));
                runs.get(2).add(gstreamer(tracks, rates));
                runs.get(3).add(ffmpeg(tracks, rates));
            }
            Result plain = median(runs.get(0));
            Result captioned = median(runs.get(1));
            Result gst = median(runs.get(2));
            Result ffmpeg = median(runs.get(3));
            JsonObject cores = new JsonObject();
            JsonObject ratios = new JsonObject();
            for (Result r : new Result[] {plain, captioned, gst, ffmpeg}) if (r != null) cores.put(r.pipeline(), IngestBench.round(r.cores()));
            for (Result peer : new Result[] {gst, ffmpeg}) {
                if (peer == null) continue;
                ratios.put("without captions / " + peer.pipeline(), IngestBench.round(plain.cores() / peer.cores()));
                if (captioned != null) ratios.put("with captions / " + peer.pipeline(), IngestBench.round(captioned.cores() / peer.cores()));
            }
            JsonObject quality = quality(video, motion, qualityTable, plain, gst, ffmpeg);
            JsonObject rounds = new JsonObject();
            for (List<Result> rs : runs) {
                if (!rs.isEmpty() && rs.get(0) != null) rounds.put(rs.get(0).pipeline(), new JsonArray(rs.stream().map(r -> IngestBench.round(r.cores())).toList()));
            }
            for (Map.Entry<String, Object> e : rounds) spread.add("- " + motion + ", " + e.getKey() + ": " + e.getValue());
            all.put(motion, new JsonObject().put("cores", cores).put("coresEachRound", rounds).put("roomcastToPeer", ratios).put("roomcastThreads", plain.threads())
                    .put("files", files(plain, captioned, gst, ffmpeg)).put("quality", quality));
            table.add(String.format("| %s | %.3f | %s | %s | %s | %s | %s |", label(motion),
                    plain.cores(), captioned == null ? "-" : String.format("%.3f", captioned.cores()), fmt(gst), fmt(ffmpeg),
                    ratio(plain, captioned, gst), ratio(plain, captioned, ffmpeg)));
        }
        System.out.println("PEER BENCH " + all.encodePrettily());
        System.out.println("| cameras | Roomcast | Roomcast + live captions | GStreamer | FFmpeg | Roomcast / GStreamer (+captions) | Roomcast / FFmpeg (+captions) |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- |");
        table.forEach(System.out::println);
        if (ROUNDS > 1) {
            System.out.println();
            System.out.println("Cores in each round (the table gives each pipeline's median):");
            spread.forEach(System.out::println);
        }
        System.out.println();
        System.out.println("| cameras | pipeline | MP4 video + audio | Y-PSNR of a camera's tile | SSIM |");
        System.out.println("| --- | --- | --- | --- | --- |");
        qualityTable.forEach(System.out::println);
        Files.createDirectories(Path.of("target/bench"));
        Files.writeString(Path.of("target/bench/peers.json"), all.encodePrettily());
    }

    /** The run with the median cores (the lower middle one of an even count); null when there was none or the pipeline is missing. */
    private static Result median(List<Result> runs) {
        List<Result> sorted = runs.stream().filter(r -> r != null).sorted((x, y) -> Double.compare(x.cores(), y.cores())).toList();
        return sorted.isEmpty() ? null : sorted.get((sorted.size() - 1) / 2);
    }

    private static String label(String motion) {
        return motion.equals("head") ? "talking head" : "full-motion test pattern";
    }

    private static String fmt(Result r) {
        return r == null ? "not installed" : String.format("%.3f", r.cores());
    }

    private static String ratio(Result plain, Result captioned, Result peer) {
        if (peer == null) return "-";
        return String.format("**%.2f**", plain.cores() / peer.cores())
                + (captioned == null ? "" : String.format(" (%.2f)", captioned.cores() / peer.cores()));
    }

    /**
     * The picture quality of each pipeline's file against the cameras' own pictures
     * ({@link CompositeQuality}), with the bitrate it spent: a cheap pipeline must not be cheap by
     * making worse pictures.
     */
    private static JsonObject quality(List<byte[]> camera, String motion, List<String> rows, Result... results) throws Exception {
        List<byte[]> reference = CompositeQuality.reference(camera);
        JsonObject out = new JsonObject();
        for (Result r : results) {
            if (r == null) continue;
            JsonObject q = CompositeQuality.compare(reference, CompositeQuality.pictures(r.mp4(), r.camera()), 25)
                    .put("mbps", IngestBench.round(r.mbps()));
            out.put(r.pipeline(), q);
            rows.add(String.format("| %s | %s | %.2f Mb/s | %.2f dB | %.4f |", label(motion),
                    r.pipeline(), r.mbps(), q.getDouble("yPsnrDb"), q.getDouble("ssim")));
        }
        return out;
    }

    /** What each pipeline wrote, so a cheap one can be seen to have done the work. */
    private static JsonObject files(Result... results) {
        JsonObject out = new JsonObject();
        for (Result r : results) {
            if (r == null) continue;
            out.put(r.pipeline(), new JsonObject().put("mp4MB", IngestBench.round(r.mp4Bytes() / 1e6))
                    .put("recordedSeconds", IngestBench.round(r.recordedSeconds())).put("rtmpPackets", r.rtmpPackets()));
        }
        return out;
    }

    private record Measured(double cores, JsonObject threads) {
    }

    /** CPU of {@code pid} (and per thread) over the measured window while the tracks are replayed to {@code ports}. */
    private static Measured measure(long pid, List<Integer> ports, List<List<byte[]>> tracks, List<Integer> rates) throws Exception {
        long[] w = new long[4];
        List<Map<String, Long>> threads = new ArrayList<>(List.of(Map.of(), Map.of()));
        Thread sampler = new Thread(() -> {
            try {
                Thread.sleep(WARMUP * 1000L);
                threads.set(0, IngestBench.threadTicks(pid));
                w[0] = IngestBench.cpuTicks(pid);
                w[1] = System.nanoTime();
                Thread.sleep((SECONDS - WARMUP - 2) * 1000L);
                w[2] = IngestBench.cpuTicks(pid);
                w[3] = System.nanoTime();
                threads.set(1, IngestBench.threadTicks(pid));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        sampler.start();
        RtpCapture.replay(ports, tracks, rates);
        sampler.join();
        double seconds = (w[3] - w[1]) / 1e9;
        return new Measured((w[2] - w[0]) / 100.0 / seconds, IngestBench.threadCores(threads.get(0), threads.get(1), seconds));
    }

    private Result roomcast(List<List<byte[]>> tracks, List<Integer> rates, boolean captions) throws Exception {
        Map<String, String> env = JarProcess.env(work.resolve("roomcast-" + System.nanoTime()), IngestBench.SECRET);
        env.put("ROOMCAST_MODELS_DIR", Path.of("models").toAbsolutePath().toString());
        int rtpPort = Integer.parseInt(env.get("ROOMCAST_RTP_PORT"));
        int rtmpPort = JarProcess.freePort();
        try (JarProcess node = JarProcess.start(work, env); RoomBench.Receiver rtmp = new RoomBench.Receiver(rtmpPort)) {
            Api api = new Api(node.httpPort, TokenMinter.mint(IngestBench.SECRET, "bench", null, 3600));
            String room = api.createRoom();
            for (int p = 0; p < PARTICIPANTS; p++) {
                api.join(room, "p" + p, "Participant " + p, Tracks.opus(0x6000 + 2L * p), Tracks.camera("vp8", 0x6001 + 2L * p));
            }
            JsonObject body = new JsonObject().put("roomId", room).put("preset", "grid-720p");
            if (captions) assertEquals(200, api.post("/v2/transcription/start", new JsonObject().put("roomId", room)).status());
            String rec = api.post("/v2/recordings/start", body).json().getString("id");
            api.post("/v2/hls/start", body.copy());
            api.post("/v2/livestreams/start", body.copy().put("outputs", new JsonArray()
                    .add(new JsonObject().put("url", "rtmp://127.0.0.1:" + rtmpPort + "/live").put("streamKey", "bench"))));
            List<Integer> ports = new ArrayList<>();
            for (int i = 0; i < tracks.size(); i++) ports.add(rtpPort);
            Measured m = measure(node.pid(), ports, tracks, rates);
            api.post("/v2/livestreams/end", new JsonObject().put("roomId", room));
            api.post("/v2/hls/end", new JsonObject().put("roomId", room));
            api.post("/v2/recordings/end", new JsonObject().put("roomId", room));
            JsonObject done = api.waitFor("/v2/recordings/" + rec, "status", "stopped", 60_000);
            JsonObject file = done.getJsonObject("file");
            Path mp4 = Media.download(file.getString("fileUrl"), work.resolve("roomcast-" + System.nanoTime() + ".mp4"));
            return new Result(captions ? "Roomcast jar (recording + HLS + RTMP + live captions)" : "Roomcast jar (recording + HLS + RTMP)",
                    m.cores(), mp4, CompositeQuality.roomcast(), file.getLong("size"), rtmp.packets.get(), file.getJsonObject("meta").getDouble("duration"), m.threads());
        }
    }

    private static List<Integer> freePorts(int n) throws Exception {
        List<Integer> ports = new ArrayList<>();
        while (ports.size() < n) {
            int p = JarProcess.freePort();
            if (!ports.contains(p)) ports.add(p);
        }
        return ports;
    }

    /** The GStreamer pipeline; null when an element it needs is not installed. */
    private Result gstreamer(List<List<byte[]>> tracks, List<Integer> rates) throws Exception {
        Path dir = Files.createDirectories(work.resolve("gst-" + System.nanoTime()));
        List<Integer> ports = freePorts(tracks.size());
        int rtmpPort = JarProcess.freePort();
        StringBuilder p = new StringBuilder();
        p.append("compositor name=mix background=black");
        for (int i = 0; i < PARTICIPANTS; i++) {
            p.append(" sink_").append(i).append("::xpos=").append(i % 2 * 640).append(" sink_").append(i).append("::ypos=").append(i / 2 * 360);
        }
        p.append(" ! video/x-raw,width=1280,height=720,framerate=25/1 ! videoconvert ! video/x-raw,format=I420")
                .append(" ! openh264enc bitrate=1500000 gop-size=50 multi-thread=1 enable-frame-skip=false ! tee name=vt");
        p.append(" audiomixer name=amix ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=2 ! avenc_aac bitrate=96000")
                .append(" ! tee name=at");
        for (int i = 0; i < PARTICIPANTS; i++) {
            p.append(" udpsrc port=").append(ports.get(2 * i))
                    .append(" caps=application/x-rtp,media=audio,clock-rate=48000,encoding-name=OPUS,payload=111")
                    .append(" ! rtpjitterbuffer latency=100 ! rtpopusdepay ! opusdec ! audioconvert ! audioresample ! queue ! amix.");
            p.append(" udpsrc port=").append(ports.get(2 * i + 1))
                    .append(" caps=application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,payload=96")
                    .append(" ! rtpjitterbuffer latency=100 ! rtpvp8depay ! vp8dec ! videoconvert ! queue ! mix.sink_").append(i);
        }
        p.append(" mp4mux name=mp4 ! filesink location=").append(dir.resolve("rec.mp4"));
        p.append(" vt. ! queue ! h264parse ! mp4.video_0 at. ! queue ! aacparse ! mp4.audio_0");
        p.append(" hlssink2 name=hls target-duration=2 location=").append(dir.resolve("seg%05d.ts"))
                .append(" playlist-location=").append(dir.resolve("index.m3u8"));
        p.append(" vt. ! queue ! h264parse ! hls.video at. ! queue ! aacparse ! hls.audio");
        p.append(" flvmux name=flv streamable=true ! rtmpsink location=rtmp://127.0.0.1:").append(rtmpPort).append("/live/bench");
        p.append(" vt. ! queue ! h264parse ! flv.video at. ! queue ! aacparse ! flv.audio");
        List<String> cmd = new ArrayList<>(List.of("gst-launch-1.0", "-e", "-q"));
        cmd.addAll(List.of(p.toString().split(" ")));
        return peer("GStreamer compositor + openh264enc (system libopenh264)", cmd, dir, ports, rtmpPort, tracks, rates);
    }

    /** The FFmpeg command line; null when ffmpeg or libx264 is missing. */
    private Result ffmpeg(List<List<byte[]>> tracks, List<Integer> rates) throws Exception {
        Path dir = Files.createDirectories(work.resolve("ffmpeg-" + System.nanoTime()));
        List<Integer> ports = freePorts(tracks.size());
        int rtmpPort = JarProcess.freePort();
        List<String> cmd = new ArrayList<>(List.of("ffmpeg", "-hide_banner", "-loglevel", "error", "-y"));
        for (int i = 0; i < tracks.size(); i++) {
            boolean isVideo = i % 2 == 1;
            Path sdp = dir.resolve("in" + i + ".sdp");
            Files.writeString(sdp, "v=0\no=- 0 0 IN IP4 127.0.0.1\ns=bench\nc=IN IP4 127.0.0.1\nt=0 0\n"
                    + (isVideo ? "m=video " + ports.get(i) + " RTP/AVP 96\na=rtpmap:96 VP8/90000\n"
                    : "m=audio " + ports.get(i) + " RTP/AVP 111\na=rtpmap:111 opus/48000/2\n"));
            cmd.addAll(List.of("-protocol_whitelist", "file,udp,rtp", "-reorder_queue_size", "100", "-i", sdp.toString()));
        }
        cmd.addAll(List.of("-filter_complex",
                "[1:v][3:v][5:v]xstack=inputs=3:layout=0_0|640_0|0_360:fill=black,scale=1280:720,fps=25[v];"
                        + "[0:a][2:a][4:a]amix=inputs=3[a]",
                "-map", "[v]", "-map", "[a]", "-c:v", "libx264", "-preset", "veryfast", "-b:v", "1500k", "-g", "50",
                "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "96k", "-flags", "+global_header", "-f", "tee",
                "[f=mp4]" + dir.resolve("rec.mp4") + "|[f=hls:hls_time=2]" + dir.resolve("index.m3u8")
                        + "|[f=flv]rtmp\\://127.0.0.1\\:" + rtmpPort + "/live/bench"));
        return peer("FFmpeg xstack + libx264 veryfast (tee)", cmd, dir, ports, rtmpPort, tracks, rates);
    }

    private Result peer(String name, List<String> cmd, Path dir, List<Integer> ports, int rtmpPort,
                        List<List<byte[]>> tracks, List<Integer> rates) throws Exception {
        Path log = dir.resolve("log.txt");
        try (RoomBench.Receiver rtmp = new RoomBench.Receiver(rtmpPort)) {
            Thread.sleep(500);
            Process proc;
            try {
                proc = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            } catch (IOException e) {
                System.out.println(name + ": not installed (" + e.getMessage() + ")");
                return null;
            }
            Thread.sleep(1500);
            if (!proc.isAlive()) {
                System.out.println(name + ": did not start: " + Files.readString(log));
                return null;
            }
            Measured m = measure(proc.pid(), ports, tracks, rates);
            // SIGINT, as Ctrl-C: gst-launch -e sends EOS and ffmpeg finishes, so both write their files' ends.
            new ProcessBuilder("kill", "-INT", Long.toString(proc.pid())).start().waitFor();
            if (!proc.waitFor(30, TimeUnit.SECONDS)) proc.destroyForcibly();
            Path mp4 = dir.resolve("rec.mp4");
            Media.Probe probe = Media.probe(mp4.toString());
            assertEquals("h264", probe.videoCodec(), name + " wrote " + probe + "; log: " + Files.readString(log));
            // FFmpeg analyzes its RTP inputs for a few seconds before it writes: its file starts later.
            assertTrue(probe.seconds() > SECONDS - 10, name + " recorded " + probe);
            return new Result(name, m.cores(), mp4, CompositeQuality.topLeft(), Files.size(mp4), rtmp.packets.get(), probe.seconds(), m.threads());
        }
    }
}
