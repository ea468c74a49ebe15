package io.roomcast.transcribe;

import io.roomcast.Roomcast;
import io.roomcast.support.Api;
import io.roomcast.support.RtpSender;
import io.roomcast.support.TestNode;
import io.roomcast.support.Tokens;
import io.roomcast.support.Tracks;
import io.roomcast.support.Wav;
import io.roomcast.support.WebhookReceiver;
import io.roomcast.support.Wer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Post-call transcripts of a real recording: two people talking over each other (s22 + s23) sent
 * as Opus RTP, recorded with transcription enabled; the job reads each participant's own audio back
 * from the store and the transcript names the right speaker on every line, in all four formats.
 */
class PostCallTest {
    @TempDir
    Path data;

    static String join(Api api, String room, String pid, String name, long ssrc) {
        return api.join(room, pid, name, Tracks.opus(ssrc));
    }

    /** Records s22 (Ann) and s23 (Ben) at the same time; the recording's id. */
    static String recordConversation(Api api, Roomcast node, String room, boolean transcribe) throws Exception {
        join(api, room, "ann", "Ann Lee", 201);
        join(api, room, "ben", "Ben & Co <2>", 202);
        String recId = api.post("/v2/recordings/start", new JsonObject().put("roomId", room)
                .put("config", new JsonObject().put("mode", "audio"))
                .put("transcription", new JsonObject().put("enabled", transcribe))).json().getString("id");
        Wav a = Wav.read(Wav.speech("s22.wav"));
        Wav b = Wav.read(Wav.speech("s23.wav"));
        try (RtpSender sa = RtpSender.opus(node.rtpPort(), 201, 111); RtpSender sb = RtpSender.opus(node.rtpPort(), 202, 111)) {
            sa.startSamples(Arrays.copyOf(a.samples, a.samples.length + a.sampleRate), a.sampleRate);
            sb.startSamples(Arrays.copyOf(b.samples, b.samples.length + b.sampleRate), b.sampleRate);
            sa.join();
            sb.join();
        }
        assertEquals(200, api.post("/v2/recordings/end", new JsonObject().put("roomId", room)).status());
        return recId;
    }

    static JsonObject waitForJob(Api api, String path, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        JsonObject job = null;
        while (System.currentTimeMillis() < deadline) {
            Api.Response r = api.get(path);
            if (r.status() == 200) {
                JsonObject j = r.json();
                job = j.containsKey("data") ? (j.getJsonArray("data").isEmpty() ? null : j.getJsonArray("data").getJsonObject(0)) : j;
                if (job != null && ("completed".equals(job.getString("status")) || "failed".equals(job.getString("status")))) return job;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("no finished job at " + path + ": " + job);
    }

    @Test
    void theTranscriptCarriesTheChatBesideTheSpeech() throws Exception {
        try (Roomcast node = TestNode.start(data)) {
            Api api = new Api(node.httpPort(), Tokens.admin());
            String room = api.createRoom();
            join(api, room, "ann", "Ann Lee", 301);
            join(api, room, "ben", "Ben", 302);
            String path = "/v2/rooms/" + room + "/messages";
            api.post(path, chat("ben", "before the recording"));
            JsonObject rec = api.post("/v2/recordings/start", new JsonObject().put("roomId", room)
                    .put("config", new JsonObject().put("mode", "audio")).put("transcription", new JsonObject().put("enabled", true))).json();
            Wav a = Wav.program(0.5, 3.0, "s22.wav", "s23.wav"); // Ann speaks 0.5-5.5 s and 8.5-13.5 s
            try (RtpSender sa = RtpSender.opus(node.rtpPort(), 301, 111)) {
                sa.startSamples(Arrays.copyOf(a.samples, a.samples.length + a.sampleRate), a.sampleRate);
                Thread.sleep(7000); // in the pause between the two
                api.post(path, chat("ben", "which slide is this?"));
                api.post(path, new JsonObject().put("topic", "REACTION").put("message", "clap").put("senderId", "ben").put("persist", true));
                sa.join();
            }
            double chatAt = 7.0;
            api.post(path, chat("ben", "thanks, \"Ann\""));
            assertEquals(200, api.post("/v2/recordings/end", new JsonObject().put("roomId", room)).status());
            JsonObject job = waitForJob(api, "/v2/transcriptions?roomId=" + room, 120_000);
            assertEquals("completed", job.getString("status"), job.encode());
            String base = "/v2/transcriptions/" + job.getString("id") + "/download?format=";
            JsonObject json = api.get(base + "json").json();
            JsonArray messages = json.getJsonArray("messages");
            assertEquals(2, messages.size(), "the chat sent while recording, not before, no reactions: " + messages);
            JsonObject slide = messages.getJsonObject(0);
            assertEquals("which slide is this?", slide.getString("text"));
            assertEquals("Ben", slide.getString("sender"));
            assertEquals("CHAT", slide.getString("topic"));
            // The recording starts a little before the speech is sent: the chat is 7 s in or a little more, on its timeline.
            assertTrue(slide.getDouble("at") >= chatAt - 0.1 && slide.getDouble("at") < chatAt + 1.5, slide.encode());
            double lastSpeech = json.getJsonArray("segments").getJsonObject(json.getJsonArray("segments").size() - 1).getDouble("start");
            assertTrue(messages.getJsonObject(1).getDouble("at") > lastSpeech, "thanks came after the speech: " + json.encode());

            String txt = api.get(base + "txt").body();
            System.out.println("TRANSCRIPT WITH CHAT\n" + txt);
            List<String> lines = txt.strip().lines().toList();
            int at = lines.indexOf("[CHAT] Ben: which slide is this?");
            assertTrue(at > 0 && at < lines.size() - 2, "the chat line sits between speech lines: " + lines);
            assertTrue(lines.get(at - 1).startsWith("Ann Lee: ") && lines.get(at + 1).startsWith("Ann Lee: "), lines.toString());
            assertEquals("[CHAT] Ben: thanks, \"Ann\"", lines.get(lines.size() - 1));
            assertTrue(api.get(base + "srt").body().lines().noneMatch(l -> l.contains("which slide")), "captions formats stay speech only");
        }
    }

    private static JsonObject chat(String sender, String text) {
        return new JsonObject().put("topic", "CHAT").put("message", text).put("senderId", sender).put("senderName", "Ben").put("persist", true);
    }

    @Test
    void transcriptOfARecordingNamesEachSpeakerInAllFourFormats() throws Exception {
        try (Roomcast node = TestNode.start(data); WebhookReceiver hooks = new WebhookReceiver()) {
            Api api = new Api(node.httpPort(), Tokens.admin());
            String room = api.post("/v2/rooms", new JsonObject().put("webhook", new JsonObject().put("url", hooks.url())
                    .put("events", new JsonArray().add("post-transcription-completed").add("transcription-completed"))))
                    .json().getString("roomId");
            String recId = recordConversation(api, node, room, true);
            JsonObject job = waitForJob(api, "/v2/transcriptions?roomId=" + room, 120_000);
            assertEquals("completed", job.getString("status"), job.encode());
            assertEquals(recId, job.getString("recordingId"));
            assertEquals("participants", job.getString("source"));
            System.out.println("POST-CALL JOB " + job.encode());
            JsonObject paths = api.get("/v2/transcriptions/" + job.getString("id")).json().getJsonObject("transcriptionFilePaths");
            for (String f : List.of("json", "txt", "srt", "vtt")) {
                assertTrue(paths.getString(f).endsWith(job.getString("id") + "." + f), paths.encode());
            }
            String base = "/v2/transcriptions/" + job.getString("id") + "/download?format=";

            JsonObject json = api.get(base + "json").json();
            StringBuilder ann = new StringBuilder();
            StringBuilder ben = new StringBuilder();
            for (Object o : json.getJsonArray("segments")) {
                JsonObject s = (JsonObject) o;
                assertTrue(s.getDouble("start") <= s.getDouble("end"));
                for (Object w : s.getJsonArray("words")) {
                    JsonObject word = (JsonObject) w;
                    assertTrue(word.getDouble("start") >= s.getDouble("start") - 0.001 && word.containsKey("conf"));
                }
                (s.getString("participantId").equals("ann") ? ann : ben).append(' ').append(s.getString("text"));
            }
            double annWer = Wer.rate(Wer.reference("s22.wav"), ann.toString());
            double benWer = Wer.rate(Wer.reference("s23.wav"), ben.toString());
            assertTrue(annWer <= 0.3 && Wer.rate(Wer.reference("s23.wav"), ann.toString()) > annWer, "Ann said s22: " + ann);
            assertTrue(benWer <= 0.3 && Wer.rate(Wer.reference("s22.wav"), ben.toString()) > benWer, "Ben said s23: " + ben);

            String txt = api.get(base + "txt").body();
            for (String line : txt.strip().split("\n")) {
                assertTrue(line.startsWith("Ann Lee: ") || line.startsWith("Ben & Co <2>: "), "TXT line: " + line);
            }

            List<String[]> srt = parseSrt(api.get(base + "srt").body());
            List<String[]> vtt = parseVtt(api.get(base + "vtt").body());
            assertEquals(json.getJsonArray("segments").size(), srt.size());
            assertEquals(srt.size(), vtt.size());
            for (int i = 0; i < srt.size(); i++) {
                String speaker = json.getJsonArray("segments").getJsonObject(i).getString("speaker");
                assertTrue(srt.get(i)[1].startsWith(speaker + ": "), srt.get(i)[1]);
                assertEquals(speaker, vtt.get(i)[0].replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"));
            }

            Api.Response bad = api.get(base + "pdf");
            assertEquals(400, bad.status());
            assertEquals("invalid_request", bad.errorCode());
            // The webhook is sent after the job is saved as completed, so it may still be on its way.
            assertEquals(recId, hooks.await("post-transcription-completed", 1, 10_000).get(0).json().getJsonObject("data").getString("recordingId"));
            // VideoSDK's name for it, to a webhook that asked for that name.
            assertEquals(recId, hooks.await("transcription-completed", 1, 10_000).get(0).json().getJsonObject("data").getString("recordingId"));
        }
    }

    /** SubRip: numbered cues, "HH:MM:SS,mmm --> HH:MM:SS,mmm", text, blank line; [time line, text]. */
    static List<String[]> parseSrt(String srt) {
        List<String[]> cues = new ArrayList<>();
        Pattern time = Pattern.compile("(\\d{2}):(\\d{2}):(\\d{2}),(\\d{3}) --> (\\d{2}):(\\d{2}):(\\d{2}),(\\d{3})");
        String[] blocks = srt.strip().split("\n\n");
        double last = -1;
        for (int i = 0; i < blocks.length; i++) {
            String[] lines = blocks[i].split("\n");
            assertEquals(Integer.toString(i + 1), lines[0], "cue number");
            Matcher m = time.matcher(lines[1]);
            assertTrue(m.matches(), "SRT time line: " + lines[1]);
            double start = secs(m, 1);
            double end = secs(m, 5);
            assertTrue(start <= end && start >= last, lines[1]);
            last = start;
            assertTrue(lines.length >= 3 && !lines[2].isBlank(), blocks[i]);
            cues.add(new String[] {lines[1], lines[2]});
        }
        return cues;
    }

    /** WebVTT: the header, then cues "HH:MM:SS.mmm --> HH:MM:SS.mmm" with "<v Speaker>text"; [speaker, text]. */
    static List<String[]> parseVtt(String vtt) {
        assertTrue(vtt.startsWith("WEBVTT\n\n"), vtt);
        List<String[]> cues = new ArrayList<>();
        Pattern time = Pattern.compile("(\\d{2}):(\\d{2}):(\\d{2})\\.(\\d{3}) --> (\\d{2}):(\\d{2}):(\\d{2})\\.(\\d{3})");
        Pattern voice = Pattern.compile("<v ([^>]+)>([^<>]+)");
        for (String block : vtt.substring(8).strip().split("\n\n")) {
            String[] lines = block.split("\n");
            Matcher m = time.matcher(lines[0]);
            assertTrue(m.matches(), "VTT time line: " + lines[0]);
            assertTrue(secs(m, 1) <= secs(m, 5));
            Matcher v = voice.matcher(lines[1]);
            assertTrue(v.matches(), "VTT cue with a voice span and no raw markup: " + lines[1]);
            cues.add(new String[] {v.group(1), v.group(2)});
        }
        return cues;
    }

    static double secs(Matcher m, int g) {
        return Integer.parseInt(m.group(g)) * 3600 + Integer.parseInt(m.group(g + 1)) * 60 + Integer.parseInt(m.group(g + 2))
                + Integer.parseInt(m.group(g + 3)) / 1000.0;
    }

    /** Jobs queued or running when the node stops run again after a restart. */
    @Test
    void jobsSurviveARestart() throws Exception {
        Map<String, Object> cfg = TestNode.defaults(data);
        String room;
        List<String> ids = new ArrayList<>();
        try (Roomcast node = TestNode.start(cfg)) {
            Api api = new Api(node.httpPort(), Tokens.admin());
            room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
            String recId = recordConversation(api, node, room, false);
            long deadline = System.currentTimeMillis() + 30_000;
            while (!"stopped".equals(api.get("/v2/recordings/" + recId).json().getString("status")) && System.currentTimeMillis() < deadline) {
                Thread.sleep(200);
            }
            for (int i = 0; i < 3; i++) {
                Api.Response r = api.post("/v2/transcriptions", new JsonObject().put("recordingId", recId));
                assertEquals(200, r.status(), r.body());
                assertEquals("queued", r.json().getString("status"));
                ids.add(r.json().getString("id"));
            }
            Thread.sleep(300); // the first is processing, the others wait
        }
        try (Roomcast node = TestNode.start(cfg)) {
            Api api = new Api(node.httpPort(), Tokens.admin());
            for (String id : ids) {
                JsonObject job = waitForJob(api, "/v2/transcriptions/" + id, 180_000);
                assertEquals("completed", job.getString("status"), job.encode());
                assertTrue(api.get("/v2/transcriptions/" + id + "/download?format=txt").body().contains("Ann Lee: "));
            }
            assertEquals(3, api.get("/v2/transcriptions?roomId=" + room).json().getJsonArray("data").size());
        }
    }
}
