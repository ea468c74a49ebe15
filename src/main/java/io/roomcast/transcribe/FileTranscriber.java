package io.roomcast.transcribe;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;
import org.vosk.Model;
import org.vosk.Recognizer;

import java.io.IOException;
import java.nio.ShortBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Transcribes one audio file (a participant's WebM, or a recording's composite) with word times on
 * the file's timeline. FFmpeg decodes and resamples to 16 kHz mono; stretches where nobody speaks
 * (a gap in the file, or more than {@value #QUIET_SKIP_MS} ms below the voice threshold) are not fed
 * to Vosk at all, which is most of the saving for a participant who listens more than speaks. The
 * recognizer is created, fed and closed on the calling thread.
 */
final class FileTranscriber {
    private static final int RATE = 16_000;
    private static final long QUIET_SKIP_MS = 800;
    private static final double QUIET_RMS = 32768 * Math.pow(10, -50 / 20.0);

    /** Audio seconds decoded and seconds actually fed to the recognizer, for the speed figures. */
    record Result(List<Transcript.Segment> segments, double audioSeconds, double fedSeconds) {
    }

    private final Model model;
    private final String participantId;
    private final String speaker;
    private final List<Transcript.Segment> segments = new ArrayList<>();
    private Recognizer recognizer;
    private long fedSamples;   // samples given to the current recognizer
    private double fedOffset;  // file time of the recognizer's sample 0
    private long quietSamples;
    private double totalFed;

    FileTranscriber(Model model, String participantId, String speaker) {
        this.model = model;
        this.participantId = participantId;
        this.speaker = speaker;
    }

    Result transcribe(Path file) throws IOException {
        double audio = 0;
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(file.toFile())) {
            g.setSampleMode(FrameGrabber.SampleMode.SHORT);
            g.setSampleRate(RATE);
            g.setAudioChannels(1);
            g.start();
            Frame f;
            while ((f = g.grabSamples()) != null) {
                if (f.samples == null) continue;
                ShortBuffer sb = (ShortBuffer) f.samples[0];
                short[] pcm = new short[sb.remaining()];
                sb.get(pcm);
                audio += pcm.length / (double) RATE;
                feed(f.timestamp / 1e6, pcm);
            }
            flush();
        } catch (FrameGrabber.Exception e) {
            throw new IOException("cannot decode " + file.getFileName() + ": " + e.getMessage(), e);
        } finally {
            if (recognizer != null) {
                recognizer.close();
                recognizer = null;
            }
        }
        return new Result(segments, audio, totalFed);
    }

    private void feed(double at, short[] pcm) throws IOException {
        double expected = fedOffset + fedSamples / (double) RATE;
        if (recognizer != null && at > expected + 0.3) {
            flush(); // a gap in the file: the utterance before it is over
        }
        double sum = 0;
        for (short v : pcm) sum += (double) v * v;
        boolean quiet = Math.sqrt(sum / Math.max(1, pcm.length)) < QUIET_RMS;
        quietSamples = quiet ? quietSamples + pcm.length : 0;
        if (quiet && quietSamples > QUIET_SKIP_MS * RATE / 1000) {
            if (recognizer != null) flush();
            return;
        }
        if (recognizer == null) {
            recognizer = new Recognizer(model, RATE);
            recognizer.setWords(true);
            fedSamples = 0;
            fedOffset = at;
        }
        for (short v : pcm) {
            chunk[chunkBytes++] = (byte) v;
            chunk[chunkBytes++] = (byte) (v >> 8);
            if (chunkBytes == chunk.length) feedChunk();
        }
        fedSamples += pcm.length;
        totalFed += pcm.length / (double) RATE;
    }

    /** Vosk is fed in 0.25 s chunks: far fewer calls than one per 20 ms decoded frame, for the same words. */
    private final byte[] chunk = new byte[RATE / 4 * 2];
    private int chunkBytes;

    private void feedChunk() {
        if (chunkBytes == 0) return;
        if (recognizer.acceptWaveForm(chunk, chunkBytes)) add(recognizer.getResult());
        chunkBytes = 0;
    }

    /** Ends the current utterance and the recognizer (the next audio starts a fresh one at its own time). */
    private void flush() {
        if (recognizer == null) return;
        feedChunk();
        add(recognizer.getFinalResult());
        recognizer.close();
        recognizer = null;
    }

    private void add(String json) {
        JsonObject r = new JsonObject(json);
        String text = r.getString("text", "").trim();
        JsonArray result = r.getJsonArray("result");
        if (text.isEmpty() || result == null || result.isEmpty()) return;
        JsonArray words = new JsonArray();
        for (int i = 0; i < result.size(); i++) {
            JsonObject w = result.getJsonObject(i);
            words.add(new JsonObject().put("word", w.getString("word"))
                    .put("start", Transcript.round(fedOffset + w.getDouble("start")))
                    .put("end", Transcript.round(fedOffset + w.getDouble("end")))
                    .put("conf", Transcript.round(w.getDouble("conf", 1.0))));
        }
        segments.add(new Transcript.Segment(participantId, speaker, words.getJsonObject(0).getDouble("start"),
                words.getJsonObject(words.size() - 1).getDouble("end"), text, words));
    }
}
