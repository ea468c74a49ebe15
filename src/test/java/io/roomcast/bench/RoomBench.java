package io.roomcast.bench;

import io.roomcast.api.TokenMinter;
import io.roomcast.bench.IngestBench.CpuMark;
import io.roomcast.support.Api;
import io.roomcast.support.JarProcess;
import io.roomcast.support.RtpCapture;
import io.roomcast.support.RtpSender;
import io.roomcast.support.Sse;
import io.roomcast.support.Wer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The cost of whole rooms: the built jar in its own process; N rooms of P participants, each
 * sending VP8 640x360@25 + Opus speech as real RTP replayed from memory (a sender that costs almost
 * nothing); every room records, runs HLS, pushes RTMP to a local receiver (FFmpeg's listen mode,
 * packets read, not decoded) and runs live captions. Reports the node's CPU cores per room over the
 * steady part (from /proc), peak RSS, ingest-to-HLS latency, dropped pictures and packets, and the
 * recording's length error. {@code mvn -B -Pbench verify -Dit.test=RoomBench -Dbench.rooms=1
 * -Dbench.participants=3 -Dbench.seconds=60 -Dbench.preset=grid-720p}; JSON in target/bench/.
 */
class RoomBench {
    static final int ROOMS = Integer.getInteger("bench.rooms", 1);
    static final int PARTICIPANTS = Integer.getInteger("bench.participants", 3);
    static final int SECONDS = IngestBench.SECONDS; // bench.seconds, default 30
    static final String PRESET = System.getProperty("bench.preset", "grid-720p");
    /** The warm-up figure: the node's CPU over the call's first this-many seconds, against the measured window's. */
    static final int FIRST_MINUTE_SECONDS = 60;
    /** CPU is measured from this many seconds after the start (JIT warm-up and start-up left out). */
    static final int WARMUP = Integer.getInteger("bench.warmupSeconds", 10);
    /** outputs.videoEncoder of the node; empty: its default (auto). */
    static final String VIDEO_ENCODER = System.getProperty("bench.videoEncoder", "");
    static final boolean CAPTIONS = Boolean.parseBoolean(System.getProperty("bench.captions", "true"));
    /** After the call: a post-call transcript of the first room's recording, timed. */
    static final boolean POST_CALL = Boolean.parseBoolean(System.getProperty("bench.postCall", "true"));
    /** HLS as low-latency (config.hls.lowLatency): ingest-to-playable is then measured per part, by blocking reload. */
    static final boolean LOW_LATENCY = Boolean.parseBoolean(System.getProperty("bench.lowLatencyHls", "false"));
    private static final Pattern HINT = Pattern.compile("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"seg-(\\d{5})\\.(\\d+)\\.m4s\"");

    @TempDir
    Path work;

    /** An RTMP server that only counts what it receives (no decoding, so it costs little). */
    static final class Receiver implements AutoCloseable {
        final AtomicLong packets = new AtomicLong();
        final Thread thread;
        volatile boolean stop;

        Receiver(int port) {
            thread = new Thread(() -> {
                try (FFmpegFrameGrabber g = new FFmpegFrameGrabber("rtmp://127.0.0.1:" + port + "/live/bench")) {
                    g.setFormat("flv");
                    g.setOption("listen", "1");
                    g.setOption("rw_timeout", "120000000");
                    g.start();
                    while (!stop && g.grabPacket() != null) packets.incrementAndGet();
                } catch (Exception e) {
                    if (!stop) System.out.println("RTMP receiver: " + e);
                }
            }, "bench-rtmp-" + port);
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join(5000);
        }
    }

    @Test
    void roomsWithAllOutputs() throws Exception {
        List<Turn> turns = schedule(TranscriptionBench.clips());
        List<List<byte[]>> voices = new ArrayList<>();
        for (int p = 0; p < PARTICIPANTS; p++) voices.add(voice(turns, p));
        List<byte[]> video = IngestBench.capture(true, 0x5001);
        List<List<byte[]>> tracks = new ArrayList<>();
        List<Integer> rates = new ArrayList<>();
        Map<String, String> env = JarProcess.env(work.resolve("data"), IngestBench.SECRET);
        env.put("ROOMCAST_MODELS_DIR", Path.of("models").toAbsolutePath().toString());
        if (!VIDEO_ENCODER.isEmpty()) env.put("ROOMCAST_VIDEO_ENCODER", VIDEO_ENCODER); // e.g. libopenh264: the bundled one
        String asrThreads = System.getProperty("bench.asrThreads", ""); // transcription.threads of the node
        if (!asrThreads.isEmpty()) env.put("ROOMCAST_ASR_THREADS", asrThreads);
        String postCallFiles = System.getProperty("bench.postCallFiles", ""); // postCall.filesInParallel of the node
        if (!postCallFiles.isEmpty()) env.put("ROOMCAST_POSTCALL_FILES", postCallFiles);
        List<Receiver> receivers = new ArrayList<>();
        Map<String, Long> sessionStartMillis = new HashMap<>();
        try (JarProcess node = JarProcess.start(work, env)) {
            long pid = node.pid();
            String token = TokenMinter.mint(IngestBench.SECRET, "bench", null, 3600);
            Api api = new Api(node.httpPort, token);
            Map<String, List<JsonObject>> captionStreams = new HashMap<>();
            Thread.sleep(3000);
            long idle0 = IngestBench.cpuTicks(pid);
            long idleT0 = System.nanoTime();
            Thread.sleep(5_000);
            double idleCores = (IngestBench.cpuTicks(pid) - idle0) / 100.0 / ((System.nanoTime() - idleT0) / 1e9);

            List<String> rooms = new ArrayList<>();
            for (int r = 0; r < ROOMS; r++) {
                String room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
                rooms.add(room);
                for (int p = 0; p < PARTICIPANTS; p++) {
                    long a = 0x6000 + 256L * r + 2 * p;
                    String session = api.post("/v2/rooms/" + room + "/participants", new JsonObject().put("participantId", "p" + p)
                            .put("name", "Participant " + p).put("tracks", new JsonArray()
                                    .add(new JsonObject().put("kind", "audio").put("codec", "opus").put("ssrc", a).put("payloadType", 111))
                                    .add(new JsonObject().put("kind", "video").put("codec", "vp8").put("ssrc", a + 1).put("payloadType", 96))))
                            .json().getString("sessionId");
                    sessionStartMillis.computeIfAbsent(room, k -> Instant.parse(api.get("/v2/sessions/" + session).json().getString("start")).toEpochMilli());
                    tracks.add(IngestBench.withSsrc(voices.get(p), a));
                    rates.add(48000);
                    tracks.add(IngestBench.withSsrc(video, a + 1));
                    rates.add(90000);
                }
            }
            Map<String, String> recordings = new HashMap<>();
            Map<String, String> hls = new HashMap<>();
            Map<String, Long> recordingStartNanos = new HashMap<>();
            for (String room : rooms) {
                int port = JarProcess.freePort();
                receivers.add(new Receiver(port));
                if (CAPTIONS) {
                    Api.Response t = api.post("/v2/transcription/start", new JsonObject().put("roomId", room));
                    if (t.status() != 200) throw new AssertionError("captions did not start: " + t.body());
                    captionStreams.put(room, Sse.captions(node.httpPort, room, token)); // as a user reads them live
                }
                recordings.put(room, api.post("/v2/recordings/start", new JsonObject().put("roomId", room).put("preset", PRESET))
                        .json().getString("id"));
                recordingStartNanos.put(room, System.nanoTime());
                JsonObject hlsStart = new JsonObject().put("roomId", room).put("preset", PRESET);
                if (LOW_LATENCY) hlsStart.put("config", new JsonObject().put("hls", new JsonObject().put("lowLatency", true)));
                hls.put(room, api.post("/v2/hls/start", hlsStart).json().getString("id"));
                api.post("/v2/livestreams/start", new JsonObject().put("roomId", room).put("preset", PRESET)
                        .put("outputs", new JsonArray().add(new JsonObject().put("url", "rtmp://127.0.0.1:" + port + "/live/bench"))));
            }

            // Ingest-to-HLS: when each segment is first listed, against its PROGRAM-DATE-TIME (when its first frame arrived).
            Map<String, Double> hlsLatency = new ConcurrentHashMap<>();
            String[] nextPart = {"", "", ""};
            CpuMark[] window = new CpuMark[2]; // the measured (steady) window
            long self = ProcessHandle.current().pid();
            long[] harness = new long[2]; // this JVM (sender, RTMP receivers, playlist polling) over the same window
            long[] peakRss = new long[1];
            // The first minute of the call on this fresh node, for its cost against the steady window.
            CpuMark[] firstMinute = {CpuMark.of(pid), null};
            Thread sampler = new Thread(() -> {
                try {
                    long deadline = System.currentTimeMillis() + SECONDS * 1000L - 2000;
                    long warm = System.currentTimeMillis() + WARMUP * 1000L;
                    long minute = System.currentTimeMillis() + FIRST_MINUTE_SECONDS * 1000L;
                    while (System.currentTimeMillis() < deadline) {
                        if (firstMinute[1] == null && System.currentTimeMillis() >= minute) firstMinute[1] = CpuMark.of(pid);
                        if (window[0] == null && System.currentTimeMillis() >= warm) {
                            window[0] = CpuMark.of(pid);
                            harness[0] = IngestBench.cpuTicks(self);
                        }
                        peakRss[0] = Math.max(peakRss[0], IngestBench.rssKb(pid));
                        String room = rooms.get(0);
                        if (LOW_LATENCY) {
                            // As a low-latency player: ask for the next part and note when it is listed.
                            String pl = api.get("/v2/hls/" + hls.get(room) + "/live.m3u8" + nextPart[0]).body();
                            Matcher hint = HINT.matcher(pl);
                            if (!nextPart[0].isEmpty()) {
                                String uri = String.format("seg-%s.%s.m4s", nextPart[1], nextPart[2]);
                                Double at = partCaptured(pl, uri);
                                if (at != null) hlsLatency.put(uri, System.currentTimeMillis() / 1000.0 - at);
                            }
                            if (hint.find()) {
                                nextPart[0] = "?_HLS_msn=" + Integer.parseInt(hint.group(1)) + "&_HLS_part=" + hint.group(2);
                                nextPart[1] = hint.group(1);
                                nextPart[2] = hint.group(2);
                            } else {
                                nextPart[0] = "";
                                Thread.sleep(100);
                            }
                            continue;
                        }
                        String pl = api.get("/v2/hls/" + hls.get(room) + "/live.m3u8").body();
                        String pdt = null;
                        for (String line : pl.split("\n")) {
                            if (line.startsWith("#EXT-X-PROGRAM-DATE-TIME:")) pdt = line.substring(25);
                            if (line.startsWith("seg-") && pdt != null && !hlsLatency.containsKey(line)) {
                                hlsLatency.put(line, (System.currentTimeMillis() - Instant.parse(pdt).toEpochMilli()) / 1000.0);
                            }
                        }
                        Thread.sleep(100);
                    }
                    window[1] = CpuMark.of(pid);
                    harness[1] = IngestBench.cpuTicks(self);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            sampler.start();
            long senderCpu = RtpCapture.replay(Integer.parseInt(env.get("ROOMCAST_RTP_PORT")), tracks, rates);
            sampler.join();
            double busyCores = window[1].coresSince(window[0]);
            String metricsBefore = api.get("/metrics").body();

            JsonArray recordingErrors = new JsonArray();
            double[] callSeconds = new double[1];
            long recordingDropped = 0;
            List<Long> captionLatencies = new ArrayList<>();
            int[] werCounts = new int[2];
            for (String room : rooms) {
                api.post("/v2/livestreams/end", new JsonObject().put("roomId", room));
                api.post("/v2/hls/end", new JsonObject().put("roomId", room));
                api.post("/v2/recordings/end", new JsonObject().put("roomId", room));
                double expected = (System.nanoTime() - recordingStartNanos.get(room)) / 1e9;
                if (CAPTIONS) api.post("/v2/transcription/end", new JsonObject().put("roomId", room));
                JsonObject rec = null;
                long deadline = System.currentTimeMillis() + 120_000;
                while (System.currentTimeMillis() < deadline) {
                    rec = api.get("/v2/recordings/" + recordings.get(room)).json();
                    if ("stopped".equals(rec.getString("status")) || "failed".equals(rec.getString("status"))) break;
                    Thread.sleep(250);
                }
                double duration = rec.getJsonObject("file").getJsonObject("meta").getDouble("duration");
                recordingErrors.add(IngestBench.round(duration - expected));
                callSeconds[0] = expected;
                JsonObject spill = rec.getJsonObject("spill");
                if (spill != null) recordingDropped += spill.getLong("droppedPackets", 0L);
                if (CAPTIONS) {
                    Thread.sleep(500); // the flush at transcription/end is published before it answers; let the stream deliver it
                    captions(captionStreams.get(room), sessionStartMillis.get(room), turns, captionLatencies, werCounts);
                }
            }
            List<Double> lat = new ArrayList<>(hlsLatency.values());
            lat.sort(null);
            JsonArray livestreams = api.get("/v2/livestreams").json().getJsonArray("data");
            long rtmpDropped = 0;
            for (Object o : livestreams) {
                for (Object d : ((JsonObject) o).getJsonArray("outputs")) rtmpDropped += ((JsonObject) d).getLong("packetsDropped");
            }
            JsonObject postCall = POST_CALL ? PostCallSpeed.measure(api, recordings.get(rooms.get(0)), callSeconds[0]) : null;
            JsonObject result = new JsonObject()
                    .put("rooms", ROOMS).put("participantsPerRoom", PARTICIPANTS).put("seconds", SECONDS).put("warmupSeconds", WARMUP).put("preset", PRESET)
                    .put("videoEncoder", VIDEO_ENCODER.isEmpty() ? "auto" : VIDEO_ENCODER)
                    .put("outputs", "recording + HLS + RTMP" + (CAPTIONS ? " + live captions" : ""))
                    .put("audio", turns.size() + " clips of ../shared/speech in turns, one participant at a time, " + GAP_SECONDS + " s apart")
                    .put("nodeIdleCores", IngestBench.round(idleCores))
                    .put("nodeBusyCores", IngestBench.round(busyCores))
                    .put("coresPerRoom", IngestBench.round((busyCores - idleCores) / ROOMS))
                    .put("senderCores", IngestBench.round(senderCpu / 1e9 / SECONDS))
                    .put("harnessCores", IngestBench.round((harness[1] - harness[0]) / 100.0 / window[1].secondsSince(window[0])))
                    .put("peakRssMb", peakRss[0] / 1024)
                    .put("threadCores", window[1].threadCoresSince(window[0]))
                    .put("firstMinute", firstMinute[1] == null ? null : new JsonObject()
                            .put("nodeCores", IngestBench.round(firstMinute[1].coresSince(firstMinute[0])))
                            .put("toSteadyState", IngestBench.round(firstMinute[1].coresSince(firstMinute[0]) / busyCores))
                            .put("threadCores", firstMinute[1].threadCoresSince(firstMinute[0])))
                    .put("hlsLatencySeconds", new JsonObject().put(LOW_LATENCY ? "parts" : "segments", lat.size())
                            .put("p95", lat.isEmpty() ? null : lat.get(Math.min(lat.size() - 1, lat.size() * 95 / 100)))
                            .put("node", LOW_LATENCY ? api.get("/v2/hls/" + hls.get(rooms.get(0))).json().getJsonObject("lowLatency") : null)
                            .put("p50", lat.isEmpty() ? null : lat.get(lat.size() / 2))
                            .put("max", lat.isEmpty() ? null : lat.get(lat.size() - 1)))
                    .put("recordingLengthErrorSeconds", recordingErrors)
                    .put("picturesDropped", Api.metric(metricsBefore, "roomcast_encode_frames_dropped_total"))
                    .put("picturesEncoded", Api.metric(metricsBefore, "roomcast_encode_frames_total"))
                    .put("recordingPacketsDropped", recordingDropped)
                    .put("rtmpPacketsReceived", receivers.stream().mapToLong(r -> r.packets.get()).sum())
                    .put("rtmpPacketsDroppedInNode", rtmpDropped)
                    .put("livestreams", livestreams)
                    .put("captions", CAPTIONS ? new JsonObject()
                            .put("spokenTurns", turns.size() * ROOMS).put("finals", captionLatencies.size())
                            .put("wordErrorRate", IngestBench.round(werCounts[0] / (double) Math.max(1, werCounts[1])))
                            .put("referenceWords", werCounts[1])
                            .put("finalLatencyMsP50", TranscriptionBench.percentile(captionLatencies, 0.5))
                            .put("finalLatencyMsP95", TranscriptionBench.percentile(captionLatencies, 0.95))
                            .put("finalLatencyMsMax", TranscriptionBench.percentile(captionLatencies, 1.0)) : null)
                    .put("postCallTranscription", postCall)
                    .put("asrAudioSeconds", Api.metric(metricsBefore, "roomcast_asr_audio_seconds_total"))
                    .put("asrBusySeconds", Api.metric(metricsBefore, "roomcast_asr_busy_seconds_total"));
            Path out = Path.of("target", "bench");
            Files.createDirectories(out);
            Files.writeString(out.resolve("rooms-" + ROOMS + "x" + PARTICIPANTS + "-" + PRESET + ".json"), result.encodePrettily());
            System.out.println("ROOM BENCH " + result.encode());
            node.terminate();
        } finally {
            for (Receiver r : receivers) r.close();
        }
    }

    /** One clip of ../shared/speech spoken by one participant from {@code startSeconds} into the call. */
    record Turn(int participant, TranscriptionBench.Clip clip, double startSeconds) {
        double endSeconds() {
            return startSeconds + clip.wav().samples.length / (double) clip.wav().sampleRate;
        }
    }

    /**
     * A meeting's speech: the clips in order, one participant at a time (participant k % P says clip
     * k), {@value #GAP_SECONDS} s of quiet between turns, for as long as the run lasts.
     */
    static List<Turn> schedule(List<TranscriptionBench.Clip> clips) {
        List<Turn> turns = new ArrayList<>();
        double t = 1.0;
        for (int k = 0; ; k++) {
            Turn turn = new Turn(k % PARTICIPANTS, clips.get(k % clips.size()), t);
            if (turn.endSeconds() > SECONDS - 4) return turns;
            turns.add(turn);
            t = turn.endSeconds() + GAP_SECONDS;
        }
    }

    static final double GAP_SECONDS = 1.0;

    /** Participant {@code p}'s Opus RTP: its turns' speech, quiet between them. */
    static List<byte[]> voice(List<Turn> turns, int p) throws Exception {
        int rate = 16000;
        short[] samples = new short[rate * SECONDS];
        for (Turn t : turns) {
            if (t.participant() != p) continue;
            short[] clip = t.clip().wav().samples;
            System.arraycopy(clip, 0, samples, (int) Math.round(t.startSeconds() * rate), clip.length);
        }
        try (RtpCapture cap = new RtpCapture();
             RtpSender s = RtpSender.opus(cap.port(), 0x5000 + p, 111).unpaced()) {
            s.startSamples(samples, rate);
            s.join();
            Thread.sleep(300);
            return cap.packets();
        }
    }

    /**
     * The room's final captions (as read live over Server-Sent Events) against what each participant said: word errors (added to
     * {@code wer[0]}, reference words to {@code wer[1]}) and, per final caption, the time from the end
     * of its last word (session clock) to when the node emitted it.
     */
    static void captions(List<JsonObject> data, long sessionStartMillis, List<Turn> turns, List<Long> latencies, int[] wer) {
        for (int p = 0; p < PARTICIPANTS; p++) {
            StringBuilder said = new StringBuilder();
            for (Turn t : turns) if (t.participant() == p) said.append(t.clip().reference()).append(' ');
            StringBuilder heard = new StringBuilder();
            for (Object o : data) {
                JsonObject c = (JsonObject) o;
                if (!"final".equals(c.getString("type")) || !("p" + p).equals(c.getString("participantId"))) continue;
                heard.append(c.getString("text")).append(' ');
                latencies.add(Instant.parse(c.getString("emittedAt")).toEpochMilli() - (sessionStartMillis + c.getLong("end")));
            }
            wer[0] += Wer.errors(said.toString(), heard.toString());
            wer[1] += Wer.words(said.toString()).size();
        }
    }

    /**
     * When the first picture of part {@code uri} was captured (epoch seconds): its segment's
     * PROGRAM-DATE-TIME plus the parts before it; null when the playlist does not list it.
     */
    static Double partCaptured(String playlist, String uri) {
        Double pdt = null;
        double offset = 0;
        for (String line : playlist.split("\n")) {
            if (line.startsWith("#EXT-X-PROGRAM-DATE-TIME:")) {
                pdt = Instant.parse(line.substring(25)).toEpochMilli() / 1000.0;
                offset = 0;
            } else if (line.startsWith("#EXT-X-PART:")) {
                if (line.contains("URI=\"" + uri + "\"")) return pdt == null ? null : pdt + offset;
                offset += Double.parseDouble(line.substring(line.indexOf("DURATION=") + 9, line.indexOf(',')));
            } else if (line.startsWith("seg-")) {
                offset = 0;
            }
        }
        return null;
    }
}
