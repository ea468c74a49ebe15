package io.roomcast.encode;

/**
 * One encoded packet, shared read-only by every output of an encoder. Times are in the encoder's
 * time base ({@code 1/timeBaseDen}: frames for video, samples for audio) on the encoder's timeline
 * (0 = when the encoder started); {@link #micros} is the same instant in microseconds.
 */
public record Packet(boolean video, boolean key, byte[] data, long pts, long dts, long duration, int timeBaseDen) {

    public long micros() {
        return pts * 1_000_000L / timeBaseDen;
    }
}
