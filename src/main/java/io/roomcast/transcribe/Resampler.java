package io.roomcast.transcribe;

/**
 * 48 kHz to 16 kHz for the recognizer: a windowed-sinc low-pass at 7.2 kHz (63 taps), then every
 * third sample. Keeps its history between calls, so frames join without clicks. One owner thread.
 */
final class Resampler {
    private static final int TAPS = 63;
    private static final float[] KERNEL = kernel();
    /** The last TAPS inputs twice over, so the window [pos, pos + TAPS) is always contiguous. */
    private final float[] ring = new float[2 * TAPS];
    private int pos;
    private int phase;

    private static float[] kernel() {
        float[] k = new float[TAPS];
        double cutoff = 7200.0 / 48000.0;
        double sum = 0;
        for (int i = 0; i < TAPS; i++) {
            int m = i - TAPS / 2;
            double sinc = m == 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * m) / (Math.PI * m);
            double window = 0.42 - 0.5 * Math.cos(2 * Math.PI * i / (TAPS - 1)) + 0.08 * Math.cos(4 * Math.PI * i / (TAPS - 1));
            k[i] = (float) (sinc * window);
            sum += k[i];
        }
        for (int i = 0; i < TAPS; i++) k[i] /= (float) sum;
        return k;
    }

    /** Resamples {@code n} samples of {@code in}; returns how many were written to {@code out}. */
    int process(short[] in, int n, short[] out) {
        int written = 0;
        for (int i = 0; i < n; i++) {
            ring[pos] = in[i];
            ring[pos + TAPS] = in[i];
            pos = pos + 1 == TAPS ? 0 : pos + 1;
            boolean emit = phase == 0;
            phase = phase == 2 ? 0 : phase + 1;
            if (!emit) continue;
            float acc = 0;
            for (int k = 0; k < TAPS; k++) acc += KERNEL[k] * ring[pos + k]; // oldest first; the kernel is symmetric
            int v = Math.round(acc);
            out[written++] = (short) Math.max(-32768, Math.min(32767, v));
        }
        return written;
    }
}
