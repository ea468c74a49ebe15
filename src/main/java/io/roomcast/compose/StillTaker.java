package io.roomcast.compose;

import io.roomcast.mix.Layout;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.PointerPointer;

import java.util.HashMap;
import java.util.Map;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_BGR24;
import static org.bytedeco.ffmpeg.global.swscale.SWS_BILINEAR;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getCachedContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;

/**
 * Scales a composed canvas (YUV 4:2:0) down to a BGR still in one swscale pass, on the media
 * thread. Owns its scalers and output buffers (one per still width), freed once by {@link #close}.
 */
public final class StillTaker implements AutoCloseable {
    private record Target(SwsContext ctx, BytePointer buffer, int width, int height) {
    }

    private final Map<Integer, Target> targets = new HashMap<>();

    /** A still of {@code canvas} {@code width} wide (at most the canvas's), or null when swscale refused. */
    public Still take(AVFrame canvas, long sessionMicros, int width) {
        int w = Layout.even(Math.max(16, Math.min(width, canvas.width())));
        int h = Layout.even(Math.max(2, (int) ((long) w * canvas.height() / canvas.width())));
        Target t = targets.get(w);
        if (t == null || t.height() != h) {
            if (t != null) free(t);
            SwsContext ctx = sws_getCachedContext(null, canvas.width(), canvas.height(), canvas.format(), w, h, AV_PIX_FMT_BGR24,
                    SWS_BILINEAR, null, null, (DoublePointer) null);
            if (ctx == null || ctx.isNull()) return null;
            t = new Target(ctx, new BytePointer((long) w * h * 3 + 64), w, h);
            targets.put(w, t);
        }
        try (PointerPointer<BytePointer> dst = new PointerPointer<>(t.buffer(), null, null, null);
             IntPointer stride = new IntPointer(w * 3, 0, 0, 0)) {
            sws_scale(t.ctx(), canvas.data(), canvas.linesize(), 0, canvas.height(), dst, stride);
        }
        byte[] bgr = new byte[w * h * 3];
        t.buffer().position(0).get(bgr);
        return new Still(sessionMicros, w, h, bgr);
    }

    private static void free(Target t) {
        sws_freeContext(t.ctx());
        t.buffer().close();
    }

    @Override
    public void close() {
        for (Target t : targets.values()) free(t);
        targets.clear();
    }
}
