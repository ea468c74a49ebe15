package io.roomcast.mix;

import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.Pointer;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_get_buffer;
import static org.bytedeco.ffmpeg.global.avutil.av_image_copy_plane;
import static org.bytedeco.ffmpeg.global.swscale.SWS_BILINEAR;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getCachedContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;

/**
 * Draws one picture of the composite into a YUV 4:2:0 canvas: the theme's background, each tile's
 * latest picture scaled (swscale, aspect kept) into its place in the canvas (or, when it is a few
 * pixels larger than the tile, its centre copied without scaling), a placeholder
 * with initials when a camera is off, a name label, and the output's watermarks on top. Runs on the room's media thread; owns its
 * scalers and frees them once in {@link #close}.
 */
public final class VideoCompositor implements AutoCloseable {
    /** A picture older than this is a camera that went away: the placeholder is shown instead. */
    public static final long STALE_MICROS = 2_000_000;

    private record Theme(int bgY, int bgU, int bgV, int tileY, int labelY) {
    }

    private static final Map<String, Theme> THEMES = Map.of(
            "DARK", new Theme(16, 128, 128, 40, 235),
            "LIGHT", new Theme(225, 128, 128, 190, 235),
            "DEFAULT", new Theme(28, 140, 120, 52, 235));

    private final int width;
    private final int height;
    private final Theme theme;
    private final Map<String, SwsContext> scalers = new HashMap<>();
    private final Map<String, byte[][]> textCache = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, byte[][]> e) {
            return size() > 256;
        }
    };
    private final Map<String, AVFrame> scratch = new HashMap<>();
    private byte[] row = new byte[4096];

    private final Watermarks watermarks;

    public VideoCompositor(int width, int height, String theme) {
        this(width, height, theme, Watermarks.NONE);
    }

    public VideoCompositor(int width, int height, String theme, Watermarks watermarks) {
        this.width = width;
        this.height = height;
        this.theme = THEMES.getOrDefault(theme, THEMES.get("DARK"));
        this.watermarks = watermarks;
    }

    public void compose(AVFrame canvas, long micros, List<Layout.Tile> tiles, VideoInputs inputs) {
        compose(canvas, micros, 0, tiles, inputs);
    }

    /** {@code aheadMicros}: how much later than {@code micros} an input picture may be and still be chosen. */
    public void compose(AVFrame canvas, long micros, long aheadMicros, List<Layout.Tile> tiles, VideoInputs inputs) {
        fill(canvas, 0, 0, width, height, theme.bgY, theme.bgU, theme.bgV);
        for (Layout.Tile t : tiles) {
            AVFrame pic = inputs.at(t.feed().key(), micros, aheadMicros, STALE_MICROS);
            if (pic != null && pic.width() > 0 && pic.height() > 0) {
                scaleInto(canvas, t, pic);
            } else {
                int hash = t.feed().participantId().hashCode();
                fill(canvas, t.x(), t.y(), t.w(), t.h(), theme.tileY, 108 + Math.floorMod(hash, 40), 108 + Math.floorMod(hash >> 8, 40));
                String initials = initials(t.feed().name());
                int size = Math.max(16, Math.min(t.h() / 3, t.w() / 4));
                text(canvas, initials, size, t.x() + t.w() / 2, t.y() + t.h() / 2, true, t);
            }
            String label = t.feed().source().equals("screen") ? t.feed().name() + " (screen)" : t.feed().name();
            int size = Math.max(12, Math.min(28, t.h() / 14));
            text(canvas, label, size, t.x() + size / 2, t.y() + t.h() - size / 2 - size, false, t);
        }
        watermarks.draw(canvas);
    }

    static String initials(String name) {
        StringBuilder sb = new StringBuilder();
        for (String part : name.trim().split("\\s+")) {
            if (!part.isEmpty() && sb.length() < 2) sb.appendCodePoint(Character.toUpperCase(part.codePointAt(0)));
        }
        return sb.length() == 0 ? "?" : sb.toString();
    }

    private void scaleInto(AVFrame canvas, Layout.Tile t, AVFrame pic) {
        int sw = pic.width();
        int sh = pic.height();
        if (pic.format() == AV_PIX_FMT_YUV420P && nearlyFits(sw, t.w()) && nearlyFits(sh, t.h())) {
            // A camera a few pixels larger than its tile (360p cameras in the 720p grid, whose tiles are
            // the gaps smaller): its centre is copied as it is. Scaling by 0.98 would cost a swscale
            // pass per picture and blur it; what is lost is at most 1/16 of each side, split between its two edges.
            copyInto(canvas, t.x(), t.y(), pic, cropOffset(sw, t.w()), cropOffset(sh, t.h()), t.w(), t.h());
            return;
        }
        // Fit: the whole picture, centred, aspect kept; the background shows in the margins.
        int dw = t.w();
        int dh = (int) ((long) dw * sh / sw);
        if (dh > t.h()) {
            dh = t.h();
            dw = (int) ((long) dh * sw / sh);
        }
        dw = Layout.even(dw);
        dh = Layout.even(dh);
        if (dw < 2 || dh < 2) return;
        int x = Layout.even(t.x() + (t.w() - dw) / 2);
        int y = Layout.even(t.y() + (t.h() - dh) / 2);
        if (dw != t.w() || dh != t.h()) fill(canvas, t.x(), t.y(), t.w(), t.h(), theme.tileY, 128, 128);
        if (dw == sw && dh == sh && pic.format() == AV_PIX_FMT_YUV420P) {
            copyInto(canvas, x, y, pic, 0, 0, dw, dh); // a camera at the tile's size (the 720p grid of 360p cameras): no scaling
            return;
        }
        String key = t.feed().key();
        SwsContext ctx = sws_getCachedContext(scalers.get(key), sw, sh, pic.format(), dw, dh, AV_PIX_FMT_YUV420P,
                SWS_BILINEAR, null, null, (DoublePointer) null);
        if (ctx == null || ctx.isNull()) return;
        scalers.put(key, ctx);
        // swscale may write past the width it was given (SIMD), so it scales into a picture of the
        // tile's size, which is then copied into place.
        AVFrame scratch = scratch(key, dw, dh);
        if (scratch == null) return;
        sws_scale(ctx, pic.data(), pic.linesize(), 0, sh, scratch.data(), scratch.linesize());
        copyInto(canvas, x, y, scratch, 0, 0, dw, dh);
    }

    /** Where the copied part of a nearly fitting picture side starts: centred, even for chroma. */
    public static int cropOffset(int size, int tile) {
        return Layout.even((size - tile) / 2);
    }

    /** Whether a picture side of {@code size} covers a tile side of {@code tile} with at most 1/16 to spare. */
    static boolean nearlyFits(int size, int tile) {
        return size >= tile && size - tile <= tile / 16;
    }

    /** Copies the w x h region at (sx, sy) of a YUV 4:2:0 picture into the canvas at (x, y); all even. */
    private static void copyInto(AVFrame canvas, int x, int y, AVFrame pic, int sx, int sy, int w, int h) {
        for (int p = 0; p < 3; p++) {
            int shift = p == 0 ? 0 : 1;
            int stride = canvas.linesize(p);
            int from = pic.linesize(p);
            av_image_copy_plane(canvas.data(p).position((long) (y >> shift) * stride + (x >> shift)), stride,
                    pic.data(p).position((long) (sy >> shift) * from + (sx >> shift)), from, w >> shift, h >> shift);
        }
    }

    private AVFrame scratch(String key, int w, int h) {
        AVFrame f = scratch.get(key);
        if (f != null && f.width() == w && f.height() == h) return f;
        if (f != null) av_frame_free(f);
        f = av_frame_alloc();
        f.width(w);
        f.height(h);
        f.format(AV_PIX_FMT_YUV420P);
        if (av_frame_get_buffer(f, 32) < 0) {
            av_frame_free(f);
            scratch.remove(key);
            return null;
        }
        scratch.put(key, f);
        return f;
    }

    /** Fills a rectangle of the canvas with one colour. */
    static void fill(AVFrame canvas, int x, int y, int w, int h, int yv, int u, int v) {
        for (int p = 0; p < 3; p++) {
            int stride = canvas.linesize(p);
            int px = p == 0 ? x : x / 2;
            int py = p == 0 ? y : y / 2;
            int pw = p == 0 ? w : w / 2;
            int ph = p == 0 ? h : h / 2;
            int value = p == 0 ? yv : p == 1 ? u : v;
            BytePointer plane = canvas.data(p);
            if (px == 0 && pw == stride) {
                Pointer.memset(plane.position((long) py * stride), value, (long) ph * stride);
                continue;
            }
            for (int r = 0; r < ph; r++) Pointer.memset(plane.position((long) (py + r) * stride + px), value, pw);
        }
    }

    /**
     * Writes text in the label colour over a darkened box (labels) or straight on the tile
     * (initials, centred on cx, cy), clipped to the tile.
     */
    private void text(AVFrame canvas, String s, int size, int cx, int cy, boolean centred, Layout.Tile clip) {
        byte[][] mask = textCache.computeIfAbsent(size + ":" + s, k -> render(s, size));
        int mh = mask.length;
        int mw = mh == 0 ? 0 : mask[0].length;
        int x0 = centred ? cx - mw / 2 : cx;
        int y0 = centred ? cy - mh / 2 : cy;
        int x1 = Math.min(x0 + mw, clip.x() + clip.w());
        int y1 = Math.min(y0 + mh, clip.y() + clip.h());
        x0 = Math.max(x0, clip.x());
        y0 = Math.max(y0, clip.y());
        if (x1 <= x0 || y1 <= y0) return;
        int stride = canvas.linesize(0);
        BytePointer plane = canvas.data(0);
        int n = x1 - x0;
        if (row.length < n) row = new byte[n];
        int mx = x0 - (centred ? cx - mw / 2 : cx);
        int my = y0 - (centred ? cy - mh / 2 : cy);
        for (int r = 0; r < y1 - y0; r++) {
            long at = (long) (y0 + r) * stride + x0;
            plane.position(at).get(row, 0, n);
            byte[] m = mask[my + r];
            for (int i = 0; i < n; i++) {
                int a = m[mx + i] & 0xff;
                int base = row[i] & 0xff;
                if (!centred) base = base * 2 / 5; // darkened box under a label
                row[i] = (byte) (base + (theme.labelY - base) * a / 255);
            }
            plane.position(at).put(row, 0, n);
        }
    }

    /** The text as an 8-bit coverage mask with a small margin (Java2D, antialiased). */
    private static byte[][] render(String s, int size) {
        Font font = new Font(Font.SANS_SERIF, Font.BOLD, size);
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g0 = probe.createGraphics();
        g0.setFont(font);
        int w = Math.min(1200, g0.getFontMetrics().stringWidth(s) + size / 2);
        int h = g0.getFontMetrics().getHeight() + 2;
        int ascent = g0.getFontMetrics().getAscent();
        g0.dispose();
        BufferedImage img = new BufferedImage(Math.max(1, w), Math.max(1, h), BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.setFont(font);
        g.drawString(s, size / 4, ascent + 1);
        g.dispose();
        byte[] px = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
        byte[][] mask = new byte[img.getHeight()][img.getWidth()];
        for (int r = 0; r < img.getHeight(); r++) System.arraycopy(px, r * img.getWidth(), mask[r], 0, img.getWidth());
        return mask;
    }

    @Override
    public void close() {
        for (SwsContext c : scalers.values()) sws_freeContext(c);
        scalers.clear();
        for (AVFrame f : scratch.values()) av_frame_free(f);
        scratch.clear();
    }
}
