package io.roomcast.ingest;

import java.io.ByteArrayOutputStream;
import java.util.function.Consumer;

/**
 * Gathers the pieces of one video frame (all packets with one RTP timestamp, ended by the marker bit
 * or by the next timestamp). A loss inside a frame breaks it: broken frames are not emitted.
 */
final class FrameAssembly {
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(64 * 1024);
    private long timestamp = -1;
    private boolean keyframe;
    private boolean broken;
    private boolean open;
    private final int maxFrameBytes;

    FrameAssembly(int maxFrameBytes) {
        this.maxFrameBytes = maxFrameBytes;
    }

    boolean open() {
        return open;
    }

    long timestamp() {
        return timestamp;
    }

    void begin(long ts) {
        buffer.reset();
        timestamp = ts;
        keyframe = false;
        broken = false;
        open = true;
    }

    void append(byte[] d, int off, int len) {
        if (buffer.size() + len > maxFrameBytes) {
            broken = true;
            return;
        }
        buffer.write(d, off, len);
    }

    void markKeyframe() {
        keyframe = true;
    }

    void breakFrame() {
        broken = true;
    }

    /** Emits the frame if it is whole, and closes it. */
    void finish(Consumer<EncodedFrame> out) {
        if (open && !broken && buffer.size() > 0) out.accept(new EncodedFrame(buffer.toByteArray(), timestamp, keyframe));
        open = false;
    }
}
