package io.roomcast.demo;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.awt.Color;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The main job of a node, run in one command: a room of three simulated participants
 * ({@link SimulatedParticipant}) joined through the API, sending real RTP, with a recording, HLS
 * and live captions started through the API; live captions are printed as they come, and at the
 * end the finished recording and its post-call transcript are waited for and their places printed.
 * It only uses the HTTP API, so it runs the same against its own node or a deployed one.
 */
public final class Demo {
    static final int AUDIO_PT = 111;
    static final int VIDEO_PT = 96;
    /** A composite whose tiles are the cameras' own size, so the demo costs little. */
    static final String PRESET = "grid-360p";
    static final String ROOM = "demo";
    private static final String[] NAMES = {"Ada Lovelace", "Ben Okafor", "Cleo Martin"};
    private static final Color[] COLOURS = {new Color(0x3b82f6), new Color(0xf59e0b), new Color(0x10b981)};

    private final NodeClient node;
    private final PrintStream out;
    /** Where the embedded store keeps objects ({@code dataDir/s3/bucket}), when the demo runs its own node. */
    private final Path localStore;
    private final List<SimulatedParticipant> participants = new ArrayList<>();
    private final AtomicBoolean finished = new AtomicBoolean();
    private String roomId;
    private String recordingId;

    public Demo(String baseUrl, String token, Path localStore, PrintStream out) {
        this.node = new NodeClient(baseUrl, token);
        this.localStore = localStore;
        this.out = out;
    }

    /** Creates (or finds) the demo room, joins the participants, starts the outputs and starts the participants sending. */
    public void start() throws IOException, InterruptedException {
        start(true);
    }

    /**
     * Like {@link #start()}; without {@code outputs} the room only has its participants, and the
     * outputs are left to whoever drives the node (the console, say).
     */
    public void start(boolean outputs) throws IOException, InterruptedException {
        roomId = node.post("/v2/rooms", new JsonObject().put("customRoomId", ROOM)).getString("roomId");
        List<JsonObject> ingests = new ArrayList<>();
        Script script = new Script(NAMES.length);
        int base = ThreadLocalRandom.current().nextInt(1 << 20, 1 << 30) & ~0xF;
        for (int p = 0; p < NAMES.length; p++) {
            SimulatedParticipant sp = new SimulatedParticipant("demo-" + (char) ('a' + p), NAMES[p], base + 2L * p,
                    base + 2L * p + 1, script.voice(p), COLOURS[p]);
            JsonObject joined = node.post("/v2/rooms/" + roomId + "/participants", new JsonObject()
                    .put("participantId", sp.participantId).put("name", sp.name).put("tracks", new JsonArray()
                            .add(new JsonObject().put("kind", "audio").put("codec", "opus").put("ssrc", sp.audioSsrc).put("payloadType", AUDIO_PT))
                            .add(new JsonObject().put("kind", "video").put("codec", "vp8").put("ssrc", sp.videoSsrc).put("payloadType", VIDEO_PT))));
            participants.add(sp);
            ingests.add(joined.getJsonObject("ingest"));
        }
        if (!outputs) {
            send(ingests);
            return;
        }
        // The outputs first, so that they have the first words too.
        node.follow("/v2/rooms/" + roomId + "/captions", this::printCaption);
        node.post("/v2/transcription/start", new JsonObject().put("roomId", roomId));
        recordingId = node.post("/v2/recordings/start", new JsonObject().put("roomId", roomId).put("preset", PRESET)
                .put("transcription", new JsonObject().put("enabled", true))).getString("id");
        JsonObject hls = node.post("/v2/hls/start", new JsonObject().put("roomId", roomId).put("preset", PRESET));
        send(ingests);
        String master = hls.getString("masterPlaylistUrl");
        out.println();
        out.println("Roomcast demo: room " + ROOM + " (" + roomId + "), " + String.join(", ", NAMES) + " talking in turns,");
        out.println("recorded (" + PRESET + "), streamed as HLS and captioned live.");
        out.println("  Console:     " + node.base + "/console/ (rooms, participants, outputs, recordings; it asks for an API token)");
        out.println("  Watch it:    " + node.base + "/console/player.html?src=" + URLEncoder.encode(master, StandardCharsets.UTF_8));
        out.println("  HLS:         " + master);
        out.println("  Recording:   " + node.base + "/v2/recordings/" + recordingId);
        out.println("Live captions follow. Ctrl-C ends the call; the recording and its transcript are then finalized.");
        out.println();
    }

    /** Starts every participant sending, on one clock, to the ingest its join answer named. */
    private void send(List<JsonObject> ingests) {
        long startNanos = System.nanoTime() + 100_000_000L;
        for (int p = 0; p < participants.size(); p++) {
            participants.get(p).start(ingests.get(p).getString("host"), ingests.get(p).getInteger("port"), startNanos);
        }
    }

    private void printCaption(JsonObject c) {
        if (!"final".equals(c.getString("type")) || c.getString("text", "").isBlank()) return;
        long at = c.getLong("start", 0L) / 1000;
        out.printf("  [%02d:%02d] %s: %s%n", at / 60, at % 60, c.getString("participantName"), c.getString("text"));
    }

    public String roomId() {
        return roomId;
    }

    /**
     * Ends the call and waits for what it produced: the recording's MP4 and its post-call
     * transcript. Once only; later calls return at once.
     */
    public void finish() throws IOException, InterruptedException {
        if (roomId == null || !finished.compareAndSet(false, true)) return;
        out.println();
        out.println("Ending the call...");
        for (String end : recordingId == null ? List.<String>of() : List.of("/v2/hls/end", "/v2/recordings/end", "/v2/transcription/end")) {
            try {
                node.post(end, new JsonObject().put("roomId", roomId));
            } catch (NodeClient.CallFailed e) {
                out.println("  " + e.getMessage());
            }
        }
        for (SimulatedParticipant sp : participants) sp.close();
        if (recordingId == null) return;
        JsonObject rec = waitFor("/v2/recordings/" + recordingId, 90, "stopped", "failed");
        JsonObject file = rec.getJsonObject("file");
        if (!"stopped".equals(rec.getString("status")) || file == null) {
            out.println("The recording did not finish: " + rec.encode());
        } else {
            JsonObject meta = file.getJsonObject("meta", new JsonObject());
            out.printf("Recording:   %s (%.1f s, %d KB)%n", file.getString("filePath"), meta.getDouble("duration", 0.0),
                    file.getLong("size", 0L) / 1024);
            printLocal(file.getString("filePath"));
        }
        JsonObject job = transcript();
        if (job == null) {
            out.println("No transcript was made of the recording.");
        } else if (!"completed".equals(job.getString("status"))) {
            out.println("The transcript did not finish: " + job.encode());
        } else {
            String txt = job.getJsonObject("transcriptionFilePaths").getString("txt");
            out.println("Transcript:  " + txt + " (also .json, .srt, .vtt)");
            out.println("  download:  " + node.base + "/v2/transcriptions/" + job.getString("id") + "/download?format=txt");
            printLocal(txt);
        }
        try {
            node.post("/v2/sessions/end", new JsonObject().put("roomId", roomId));
        } catch (NodeClient.CallFailed e) {
            // the session ended with its last output already
        }
    }

    private void printLocal(String key) {
        if (localStore == null || key == null) return;
        Path f = localStore.resolve(key);
        if (Files.isRegularFile(f)) out.println("  file:      " + f);
    }

    /** The post-call transcription the recording asked for, once it has finished (or null: none was queued). */
    private JsonObject transcript() throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + 180_000;
        while (System.currentTimeMillis() < deadline) {
            for (Object o : node.get("/v2/transcriptions?roomId=" + roomId).getJsonArray("data", new JsonArray())) {
                JsonObject j = (JsonObject) o;
                if (!recordingId.equals(j.getString("recordingId"))) continue;
                String status = j.getString("status");
                if ("completed".equals(status) || "failed".equals(status)) return j;
            }
            Thread.sleep(500);
        }
        return null;
    }

    private JsonObject waitFor(String path, int seconds, String... statuses) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + seconds * 1000L;
        JsonObject last = node.get(path);
        while (System.currentTimeMillis() < deadline && !List.of(statuses).contains(last.getString("status"))) {
            Thread.sleep(250);
            last = node.get(path);
        }
        return last;
    }
}
