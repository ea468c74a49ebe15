package io.roomcast.support;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

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
}
