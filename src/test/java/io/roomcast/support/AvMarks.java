package io.roomcast.support;

import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;

import java.nio.ByteBuffer;
import java.nio.ShortBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A flash-and-beep source and what a file made of it shows, read back with FFmpeg: when each white
 * flash (centre of the picture) and each beep begins, and the time of every picture and audio frame
 * (for gaps and frozen stretches).
 */
public record AvMarks(List<Double> flashes, List<Double> beeps, List<Double> pictures, List<Double> audioFrames) {

    /** 48 kHz mono: a 100 ms 1 kHz beep every 2 s, at 1 s, 3 s, ... (with {@link RtpSender#flashes()}). */
    public static short[] beeps(int seconds) {
        short[] s = new short[48000 * seconds];
        for (int i = 0; i < s.length; i++) {
            int inPeriod = i % 96000;
            if (inPeriod >= 48000 && inPeriod < 48000 + 4800) s[i] = (short) (12000 * Math.sin(2 * Math.PI * 1000 * i / 48000.0));
        }
        return s;
    }

    public static AvMarks read(Path file) throws Exception {
        List<Double> flashes = new ArrayList<>();
        List<Double> beeps = new ArrayList<>();
        List<Double> pictures = new ArrayList<>();
        List<Double> audio = new ArrayList<>();
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(file.toString())) {
            g.setSampleMode(FrameGrabber.SampleMode.SHORT);
            g.setPixelFormat(avutil.AV_PIX_FMT_GRAY8);
            g.start();
            Frame f;
            boolean lit = false;
            double lastLoud = -1;
            while ((f = g.grabFrame(true, true, true, false)) != null) {
                if (f.image != null) {
                    pictures.add(f.timestamp / 1e6);
                    ByteBuffer b = (ByteBuffer) f.image[0];
                    int centre = b.get(f.imageHeight / 2 * f.imageStride + f.imageWidth / 2) & 0xff;
                    if (centre > 150 && !lit) flashes.add(f.timestamp / 1e6);
                    lit = centre > 150;
                }
                if (f.samples != null) {
                    audio.add(f.timestamp / 1e6);
                    ShortBuffer sb = (ShortBuffer) f.samples[0];
                    int channels = f.audioChannels;
                    int n = sb.limit() / channels;
                    for (int i = 0; i < n; i++) {
                        if (Math.abs(sb.get(i * channels)) <= 3000) continue;
                        double t = f.timestamp / 1e6 + i / 48000.0;
                        if (lastLoud < 0 || t - lastLoud > 0.3) beeps.add(t);
                        lastLoud = t;
                    }
                }
            }
        }
        return new AvMarks(flashes, beeps, pictures, audio);
    }

    /** The beep nearest to a time (seconds), or a far-away value when there is none. */
    public double nearestBeep(double t) {
        return beeps.stream().min(Comparator.comparingDouble(o -> Math.abs(o - t))).orElse(1e9);
    }

    /** The longest step between two consecutive times (seconds). */
    public static double longestStep(List<Double> times) {
        double longest = 0;
        for (int i = 1; i < times.size(); i++) longest = Math.max(longest, times.get(i) - times.get(i - 1));
        return longest;
    }

    @Override
    public String toString() {
        return "flashes " + flashes + " beeps " + beeps + ", " + pictures.size() + " pictures, " + audioFrames.size() + " audio frames";
    }
}
