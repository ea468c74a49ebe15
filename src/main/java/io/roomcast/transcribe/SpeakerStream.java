package io.roomcast.transcribe;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.vosk.Model;
import org.vosk.Recognizer;

import java.io.IOException;
import java.util.ArrayDeque;

/**
 * One participant's speech to text: resampling to 16 kHz, voice-activity gating with pre-roll and
 * hangover, and a Vosk recognizer fed only while the participant speaks. Lives on the recognition
 * thread: the recognizer is created, fed and closed there, once.
 */
final class SpeakerStream {
    /** Captions out, without a sequence number yet. */
    interface Sink {
        void caption(String participantId, String text, String type, long startMs, long endMs, JsonArray words);
    }

    private static final int FRAME = 320; // 20 ms at 16 kHz
    private final String participantId;
    private final Model model;
    private final double thresholdDb;
    private final int hangoverFrames;
    private final int prerollFrames;
    private final long partialIntervalMs;
    private final Sink sink;
    private final Resampler resampler = new Resampler();
    private final short[] resampled = new short[4096];
    private final short[] frame = new short[FRAME];
    private int frameFill;
    private long frameStartMicros = -1;
    private final ArrayDeque<Object[]> preroll = new ArrayDeque<>();
    private Recognizer recognizer;
    private boolean speaking;
    private int quietFrames;
    private long utteranceStartMicros;
    /** {@link #fedAudioSamples} when the utterance began: the recognizer (one per stream) counts word times from its first sample. */
    private long utteranceBaseSamples;
    private long lastPartialAt;
    private String lastPartial = "";
    long busyNanos;
    long fedAudioSamples;
    private boolean closed;
    private long lastAudioNanos;
    private final long hangoverNanos;

    SpeakerStream(String participantId, Model model, double thresholdDb, long hangoverMs, long prerollMs,
                  long partialIntervalMs, Sink sink) {
        this.participantId = participantId;
        this.model = model;
        this.thresholdDb = thresholdDb;
        this.hangoverFrames = (int) Math.max(1, hangoverMs / 20);
        this.prerollFrames = (int) Math.max(0, prerollMs / 20);
        this.partialIntervalMs = partialIntervalMs;
        this.hangoverNanos = hangoverMs * 1_000_000L;
        this.sink = sink;
    }

    /** 48 kHz mono samples starting at {@code sessionMicros}. */
    void audio(short[] pcm48, int n, long sessionMicros) throws IOException {
        if (closed) return;
        lastAudioNanos = System.nanoTime();
        int m = resampler.process(pcm48, n, resampled);
        long micros = sessionMicros;
        for (int i = 0; i < m; i++) {
            if (frameFill == 0) frameStartMicros = micros + i * 1_000_000L / 16_000;
            frame[frameFill++] = resampled[i];
            if (frameFill == FRAME) {
                frame(frame.clone(), frameStartMicros);
                frameFill = 0;
            }
        }
    }

    static double levelDb(short[] f) {
        double sum = 0;
        for (short s : f) sum += (double) s * s;
        double rms = Math.sqrt(sum / f.length);
        return rms < 1 ? -100 : 20 * Math.log10(rms / 32768.0);
    }

    private void frame(short[] f, long micros) throws IOException {
        boolean voiced = levelDb(f) > thresholdDb;
        if (!speaking) {
            preroll.addLast(new Object[] {f, micros});
            while (preroll.size() > prerollFrames + 1) preroll.removeFirst();
            if (!voiced) return;
            speaking = true;
            quietFrames = 0;
            if (recognizer == null) {
                recognizer = new Recognizer(model, 16000f);
                recognizer.setWords(true);
            }
            utteranceStartMicros = (long) preroll.peekFirst()[1];
            utteranceBaseSamples = fedAudioSamples;
            lastPartial = "";
            while (!preroll.isEmpty()) {
                Object[] p = preroll.removeFirst();
                feed((short[]) p[0], (long) p[1]);
            }
            return;
        }
        feed(f, micros);
        quietFrames = voiced ? 0 : quietFrames + 1;
        if (quietFrames >= hangoverFrames) endUtterance();
    }

    private void feed(short[] f, long micros) {
        long t0 = System.nanoTime();
        boolean isFinal = recognizer.acceptWaveForm(f, f.length);
        fedAudioSamples += f.length;
        if (isFinal) {
            emitFinal(recognizer.getResult());
        } else {
            long nowMs = System.currentTimeMillis();
            if (nowMs - lastPartialAt >= partialIntervalMs) {
                lastPartialAt = nowMs;
                String text = new JsonObject(recognizer.getPartialResult()).getString("partial", "");
                if (!text.isEmpty() && !text.equals(lastPartial)) {
                    lastPartial = text;
                    long end = (micros + 20_000) / 1000;
                    sink.caption(participantId, text, "partial", utteranceStartMicros / 1000, end, null);
                }
            }
        }
        busyNanos += System.nanoTime() - t0;
    }

    private void emitFinal(String resultJson) {
        JsonObject r = new JsonObject(resultJson);
        String text = r.getString("text", "");
        lastPartial = "";
        if (text.isBlank()) return;
        JsonArray words = new JsonArray();
        long start = -1;
        long end = -1;
        // Vosk times words from the recognizer's first sample, and reset() does not restart that count.
        long base = utteranceStartMicros / 1000 - utteranceBaseSamples * 1000 / 16_000;
        for (Object o : r.getJsonArray("result", new JsonArray())) {
            JsonObject w = (JsonObject) o;
            long ws = base + Math.round(w.getDouble("start") * 1000);
            long we = base + Math.round(w.getDouble("end") * 1000);
            if (start < 0) start = ws;
            end = we;
            words.add(new JsonObject().put("word", w.getString("word")).put("start", ws).put("end", we)
                    .put("conf", Math.round(w.getDouble("conf", 1.0) * 1000) / 1000.0));
        }
        if (start < 0) {
            start = utteranceStartMicros / 1000;
            end = start + (fedAudioSamples - utteranceBaseSamples) * 1000 / 16_000;
        }
        sink.caption(participantId, text, "final", start, end, words);
    }

    private void endUtterance() {
        speaking = false;
        quietFrames = 0;
        long t0 = System.nanoTime();
        emitFinal(recognizer.getFinalResult());
        recognizer.reset();
        busyNanos += System.nanoTime() - t0;
    }

    /** Audio skipped because recognition is behind: what was being said is finished with what was heard. */
    void skip() {
        if (closed) return;
        frameFill = 0;
        preroll.clear();
        if (speaking) endUtterance();
    }

    /**
     * When a participant's audio simply stops (muted at the SFU, gone) no quiet frames come to end the
     * utterance: after the hangover without any audio, it is finished here.
     */
    void idle(long nowNanos) {
        if (!closed && speaking && nowNanos - lastAudioNanos > hangoverNanos) {
            endUtterance();
        }
    }

    /** Flushes what is still being said and frees the recognizer. */
    void close() {
        if (closed) return;
        closed = true;
        if (recognizer != null) {
            if (speaking) emitFinal(recognizer.getFinalResult());
            recognizer.close();
            recognizer = null;
        }
    }
}
