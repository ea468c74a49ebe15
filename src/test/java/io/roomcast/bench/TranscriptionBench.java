package io.roomcast.bench;

import io.roomcast.Roomcast;
import io.roomcast.support.Api;
import io.roomcast.support.RtpSender;
import io.roomcast.support.TestNode;
import io.roomcast.support.Tokens;
import io.roomcast.support.Wav;
import io.roomcast.support.Wer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vosk.LibVosk;
import org.vosk.LogLevel;
import org.vosk.Model;
import org.vosk.Recognizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Word error rate of live captions on ../shared/speech: every clip sent as real Opus RTP through the
 * node (ingest, decode, resample, VAD, Vosk), with 1, 2 and 4 speakers at once, against the same
 * model fed the WAV files directly. Also the final-caption latency (end of the words to the caption).
 * Run: mvn -B -Pbench verify -Dit.test=TranscriptionBench [-Dbench.streams=1,2,4] [-Dbench.vadHangoverMs=600]
 */
class TranscriptionBench {
    static final int THREADS = Integer.getInteger("bench.asrThreads", 1);
    static final boolean DIRECT = !Boolean.getBoolean("bench.skipDirect");
    @TempDir
    Path data;

    record Clip(String file, String reference, Wav wav) {
    }

    static List<Clip> clips() throws Exception {
        List<Clip> out = new ArrayList<>();
        for (String line : Files.readAllLines(Wav.speech("manifest.tsv"))) {
            String[] f = line.split("\t");
            if (f[0].equals("file")) continue;
            out.add(new Clip(f[0], f[2], Wav.read(Wav.speech(f[0]))));
        }
        return out;
    }

    static double wer(List<Clip> clips, Map<String, String> heard) {
        int errors = 0;
        int words = 0;
        for (Clip c : clips) {
            errors += Wer.errors(c.reference(), heard.getOrDefault(c.file(), ""));
            words += Wer.words(c.reference()).size();
        }
        return errors / (double) words;
    }

    static double percentile(List<Long> values, double p) {
        if (values.isEmpty()) return Double.NaN;
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(p * sorted.size()) - 1));
    }

    @Test
    void wordErrorRateAndLatency() throws Exception {
        List<Clip> clips = clips();
        JsonObject result = new JsonObject().put("clips", clips.size());

        result.put("asrThreads", THREADS).put("vadHangoverMs", Integer.getInteger("bench.vadHangoverMs", 400));
        if (DIRECT) direct(clips, result);
        JsonArray runs = new JsonArray();
        for (String n : System.getProperty("bench.streams", "1,2,4").split(",")) {
            runs.add(throughTheNode(clips, Integer.parseInt(n.trim())));
        }
        result.put("throughRtp", runs);
        Files.createDirectories(Path.of("target", "bench"));
        Files.writeString(Path.of("target", "bench", "transcription-" + THREADS + "-" + System.currentTimeMillis() + ".json"), result.encodePrettily());
        System.out.println("TRANSCRIPTION BENCH " + result.encode());
    }

    void direct(List<Clip> clips, JsonObject result) throws Exception {
        // Direct: the WAV into Vosk, nothing in between.
        LibVosk.setLogLevel(LogLevel.WARNINGS);
        Map<String, String> direct = new ConcurrentHashMap<>();
        long t0 = System.nanoTime();
        double audioSeconds = 0;
        try (Model model = new Model("models/en")) {
            for (Clip c : clips) {
                try (Recognizer r = new Recognizer(model, 16000f)) {
                    StringBuilder sb = new StringBuilder();
                    short[] s = c.wav().samples;
                    for (int i = 0; i < s.length; i += 4000) {
                        int n = Math.min(4000, s.length - i);
                        if (r.acceptWaveForm(Arrays.copyOfRange(s, i, i + n), n)) {
                            sb.append(new JsonObject(r.getResult()).getString("text")).append(' ');
                        }
                    }
                    sb.append(new JsonObject(r.getFinalResult()).getString("text"));
                    direct.put(c.file(), sb.toString().trim());
                }
                audioSeconds += c.wav().samples.length / 16000.0;
            }
        }
        result.put("directWer", round(wer(clips, direct)))
                .put("directRealTimeFactor", round((System.nanoTime() - t0) / 1e9 / audioSeconds));
    }

    /** All clips through a node, {@code streams} speakers talking at the same time (one room each). */
    JsonObject throughTheNode(List<Clip> clips, int streams) throws Exception {
        Path dir = data.resolve("s" + streams);
        Map<String, String> heard = new ConcurrentHashMap<>();
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        var config = TestNode.defaults(dir);
        config.put("transcription.threads", THREADS);
        if (System.getProperty("bench.vadHangoverMs") != null) {
            config.put("transcription.vadHangoverMs", Integer.getInteger("bench.vadHangoverMs"));
        }
        try (Roomcast node = TestNode.start(config)) {
            Api api = new Api(node.httpPort(), Tokens.admin());
            List<Thread> workers = new ArrayList<>();
            List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
            for (int w = 0; w < streams; w++) {
                int worker = w;
                Thread t = new Thread(() -> {
                    try {
                        for (int i = worker; i < clips.size(); i += streams) {
                            Clip c = clips.get(i);
                            long ssrc = 20_000 + i;
                            String room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
                            String session = api.post("/v2/rooms/" + room + "/participants", new JsonObject()
                                    .put("participantId", "p" + i).put("name", c.file()).put("tracks", new JsonArray()
                                            .add(new JsonObject().put("kind", "audio").put("codec", "opus")
                                                    .put("ssrc", ssrc).put("payloadType", 111)))).json().getString("sessionId");
                            api.post("/v2/transcription/start", new JsonObject().put("roomId", room));
                            long sessionStart = Instant.parse(api.get("/v2/sessions/" + session).json().getString("start")).toEpochMilli();
                            try (RtpSender s = RtpSender.opus(node.rtpPort(), ssrc, 111)) {
                                short[] padded = Arrays.copyOf(c.wav().samples, c.wav().samples.length + 24000);
                                s.startSamples(padded, 16000);
                                s.join();
                            }
                            // Ending flushes the recognizer and stores every caption before it answers.
                            String path = api.post("/v2/transcription/end", new JsonObject().put("roomId", room))
                                    .json().getString("captionsFilePath");
                            JsonObject stored = node.store().getJson(path).toCompletionStage().toCompletableFuture().get();
                            StringBuilder sb = new StringBuilder();
                            for (Object o : stored.getJsonArray("captions")) {
                                JsonObject cap = (JsonObject) o;
                                sb.append(cap.getString("text")).append(' ');
                                latencies.add(Instant.parse(cap.getString("emittedAt")).toEpochMilli() - (sessionStart + cap.getLong("end")));
                            }
                            heard.put(c.file(), sb.toString().trim());
                            api.post("/v2/sessions/end", new JsonObject().put("roomId", room));
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                });
                t.start();
                workers.add(t);
            }
            for (Thread t : workers) t.join();
            if (!failures.isEmpty()) throw new AssertionError(failures.get(0));
            String metrics = api.as(null).get("/metrics").body();
            double busy = Api.metric(metrics, "roomcast_asr_busy_seconds_total");
            double audio = Api.metric(metrics, "roomcast_asr_audio_seconds_total");
            return new JsonObject().put("streams", streams).put("wer", round(wer(clips, heard)))
                    .put("finalLatencyMsP50", percentile(latencies, 0.5)).put("finalLatencyMsP95", percentile(latencies, 0.95))
                    .put("recognizerRealTimeFactor", round(busy / Math.max(1e-9, audio)))
                    .put("recognizedAudioSeconds", round(audio));
        }
    }

    static double round(double v) {
        return Math.round(v * 10000) / 10000.0;
    }
}
