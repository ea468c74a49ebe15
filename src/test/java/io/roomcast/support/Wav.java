package io.roomcast.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Reads 16-bit mono PCM WAV files such as ../shared/speech/*.wav. */
public final class Wav {
    public final int sampleRate;
    public final short[] samples;

    private Wav(int sampleRate, short[] samples) {
        this.sampleRate = sampleRate;
        this.samples = samples;
    }

    /** The shared speech clips, beside the project as in CI. */
    public static Path speech(String name) {
        Path p = Path.of("..", "shared", "speech", name);
        if (!Files.isRegularFile(p)) throw new IllegalStateException("missing " + p.toAbsolutePath() + " (../shared must sit beside the project)");
        return p;
    }

    public static Wav read(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(0) != 0x46464952 || b.getInt(8) != 0x45564157) throw new IOException(file + " is not RIFF/WAVE");
        int pos = 12;
        int rate = 0;
        int channels = 0;
        int bits = 0;
        while (pos + 8 <= b.limit()) {
            int id = b.getInt(pos);
            int size = b.getInt(pos + 4);
            if (id == 0x20746d66) { // "fmt "
                channels = b.getShort(pos + 10);
                rate = b.getInt(pos + 12);
                bits = b.getShort(pos + 22);
            } else if (id == 0x61746164) { // "data"
                if (channels != 1 || bits != 16) throw new IOException(file + ": need 16-bit mono, got " + channels + "ch " + bits + " bit");
                int n = Math.min(size, b.limit() - pos - 8) / 2;
                short[] s = new short[n];
                for (int i = 0; i < n; i++) s[i] = b.getShort(pos + 8 + 2 * i);
                return new Wav(rate, s);
            }
            pos += 8 + size + (size & 1);
        }
        throw new IOException(file + " has no data chunk");
    }

    /**
     * Clips of ../shared/speech one after the other, each after {@code gapSeconds} of silence (the first
     * after {@code leadSeconds}), at the clips' rate (all 16 kHz).
     */
    public static Wav program(double leadSeconds, double gapSeconds, String... clips) throws IOException {
        int rate = 16000;
        ByteArrayOutputStream pcm = new ByteArrayOutputStream();
        for (int c = 0; c < clips.length; c++) {
            Wav w = read(speech(clips[c]));
            if (w.sampleRate != rate) throw new IOException(clips[c] + " is not 16 kHz");
            int silence = (int) ((c == 0 ? leadSeconds : gapSeconds) * rate);
            pcm.write(new byte[silence * 2]);
            ByteBuffer b = ByteBuffer.allocate(w.samples.length * 2).order(ByteOrder.LITTLE_ENDIAN);
            for (short v : w.samples) b.putShort(v);
            pcm.write(b.array());
        }
        byte[] bytes = pcm.toByteArray();
        short[] all = new short[bytes.length / 2];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(all);
        return new Wav(rate, all);
    }

    /** Samples [from, to) seconds as a Wav of their own. */
    public Wav cut(double fromSeconds, double toSeconds) {
        int a = (int) Math.min(samples.length, fromSeconds * sampleRate);
        int b = (int) Math.min(samples.length, toSeconds * sampleRate);
        return new Wav(sampleRate, Arrays.copyOfRange(samples, a, b));
    }

    /** Writes a 16-bit mono PCM WAV file. */
    public Path write(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(44 + samples.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x46464952).putInt(36 + samples.length * 2).putInt(0x45564157);
        b.putInt(0x20746d66).putInt(16).putShort((short) 1).putShort((short) 1).putInt(sampleRate).putInt(sampleRate * 2)
                .putShort((short) 2).putShort((short) 16);
        b.putInt(0x61746164).putInt(samples.length * 2);
        for (short v : samples) b.putShort(v);
        Files.write(file, b.array());
        return file;
    }
}
