package io.roomcast.demo;

import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import javax.sound.sampled.UnsupportedAudioFileException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * What the demo's participants say: public-domain speech clips bundled in the jar
 * ({@code demo/speech/}, attribution in {@code ATTRIBUTION.tsv} there), one participant at a time
 * with a pause between turns, repeated. Each participant's microphone is one loop of
 * {@link #RATE} Hz mono samples, the length of the whole script, quiet outside its turns.
 */
final class Script {
    static final int RATE = 16000;
    static final double PAUSE_SECONDS = 1.5;

    /** A turn: participant index (into the demo's three) and the clip it speaks. */
    record Turn(int participant, String clip) {
    }

    static final List<Turn> TURNS = List.of(new Turn(0, "s06"), new Turn(1, "s02"), new Turn(2, "s07"),
            new Turn(0, "s09"), new Turn(2, "s08"), new Turn(1, "s10"), new Turn(2, "s13"));

    /** When each turn starts, in seconds from the start of the loop. */
    record Timed(Turn turn, double startSeconds, double seconds) {
    }

    private final List<Timed> timed = new ArrayList<>();
    private final List<short[]> voices = new ArrayList<>();

    Script(int participants) {
        List<short[]> clips = new ArrayList<>();
        double t = 1.0;
        for (Turn turn : TURNS) {
            short[] clip = load(turn.clip());
            clips.add(clip);
            timed.add(new Timed(turn, t, clip.length / (double) RATE));
            t += clip.length / (double) RATE + PAUSE_SECONDS;
        }
        int length = (int) Math.round(t * RATE);
        for (int p = 0; p < participants; p++) voices.add(new short[length]);
        for (int i = 0; i < TURNS.size(); i++) {
            short[] clip = clips.get(i);
            Timed turn = timed.get(i);
            System.arraycopy(clip, 0, voices.get(turn.turn().participant()), (int) Math.round(turn.startSeconds() * RATE), clip.length);
        }
    }

    List<Timed> turns() {
        return timed;
    }

    /** Participant {@code p}'s microphone over one loop of the script. */
    short[] voice(int p) {
        return voices.get(p);
    }

    double loopSeconds() {
        return voices.get(0).length / (double) RATE;
    }

    /** A bundled clip as 16-bit mono samples at {@link #RATE} (the clips are stored that way). */
    static short[] load(String clip) {
        String path = "demo/speech/" + clip + ".wav";
        try (InputStream in = Script.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) throw new IllegalStateException("missing from the jar: " + path);
            try (AudioInputStream audio = AudioSystem.getAudioInputStream(new BufferedInputStream(in))) {
                AudioFormat f = audio.getFormat();
                if (f.getSampleRate() != RATE || f.getChannels() != 1 || f.getSampleSizeInBits() != 16) {
                    throw new IllegalStateException(path + " is not 16 kHz 16-bit mono: " + f);
                }
                byte[] bytes = audio.readAllBytes();
                short[] samples = new short[bytes.length / 2];
                ByteBuffer.wrap(bytes).order(f.isBigEndian() ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN)
                        .asShortBuffer().get(samples);
                return samples;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (UnsupportedAudioFileException e) {
            throw new IllegalStateException(path + ": " + e.getMessage(), e);
        }
    }
}
