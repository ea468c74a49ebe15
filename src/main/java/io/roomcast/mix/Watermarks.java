package io.roomcast.mix;

import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.javacpp.BytePointer;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * An output's watermarks over its composite. Each is made once, when the compositor is created:
 * the text rendered or the image scaled (at most a quarter of the picture's width and height, never
 * enlarged), placed in its corner, and converted to Y, U and V planes with an alpha that already
 * carries the opacity. Per picture only the mark's own pixels are blended into the canvas.
 * Plain Java arrays: nothing native to free.
 */
public final class Watermarks {
    private static final Logger LOG = Logger.getLogger(Watermarks.class.getName());
    public static final Watermarks NONE = new Watermarks(List.of());

    /** One mark at (x, y), both even, w x h (even): planes, and alpha 0..255 for luma and for the 2x2 chroma samples. */
    private record Mark(int x, int y, int w, int h, byte[] luma, byte[] u, byte[] v, byte[] alpha, byte[] chromaAlpha) {
    }

    private final List<Mark> marks;
    private byte[] row = new byte[256];

    private Watermarks(List<Mark> marks) {
        this.marks = marks;
    }

    /** The marks of a config on a {@code width} x {@code height} canvas; an unreadable image is left out (logged). */
    public static Watermarks of(List<Watermark> list, int width, int height, Function<String, BufferedImage> images) {
        if (list.isEmpty()) return NONE;
        List<Mark> marks = new ArrayList<>();
        int margin = Layout.even(Math.max(8, width / 64));
        for (Watermark w : list) {
            BufferedImage art = w.type() == Watermark.Type.TEXT ? text(w.text(), Math.max(12, height / 24)) : images.apply(w.image());
            if (art == null) {
                LOG.warning("watermark image " + w.image() + " could not be read; it is left out");
                continue;
            }
            art = fit(art, width / 4, height / 4);
            int mw = Math.min(Layout.even(art.getWidth()), Layout.even(width - 2 * margin));
            int mh = Math.min(Layout.even(art.getHeight()), Layout.even(height - 2 * margin));
            if (mw < 2 || mh < 2) continue;
            int x = w.position().right() ? Layout.even(width - margin - mw) : margin;
            int y = w.position().bottom() ? Layout.even(height - margin - mh) : margin;
            marks.add(convert(art, x, y, mw, mh, w.opacity()));
        }
        return new Watermarks(List.copyOf(marks));
    }

    public boolean isEmpty() {
        return marks.isEmpty();
    }

    /** Blends every mark into the canvas (YUV 4:2:0), on the media thread. */
    public void draw(AVFrame canvas) {
        for (Mark m : marks) {
            blend(canvas.data(0), canvas.linesize(0), m.x, m.y, m.w, m.h, m.luma, m.alpha);
            blend(canvas.data(1), canvas.linesize(1), m.x / 2, m.y / 2, m.w / 2, m.h / 2, m.u, m.chromaAlpha);
            blend(canvas.data(2), canvas.linesize(2), m.x / 2, m.y / 2, m.w / 2, m.h / 2, m.v, m.chromaAlpha);
        }
    }

    private void blend(BytePointer plane, int stride, int x, int y, int w, int h, byte[] values, byte[] alpha) {
        if (row.length < w) row = new byte[w];
        for (int r = 0; r < h; r++) {
            long at = (long) (y + r) * stride + x;
            plane.position(at).get(row, 0, w);
            int o = r * w;
            for (int i = 0; i < w; i++) {
                int a = alpha[o + i] & 0xff;
                if (a == 0) continue;
                int base = row[i] & 0xff;
                row[i] = (byte) (base + ((values[o + i] & 0xff) - base) * a / 255);
            }
            plane.position(at).put(row, 0, w);
        }
    }

    /** White text with a dark outline, so it reads on any picture. */
    private static BufferedImage text(String s, int size) {
        Font font = new Font(Font.SANS_SERIF, Font.BOLD, size);
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_ARGB);
        Graphics2D g0 = probe.createGraphics();
        FontMetrics fm = g0.getFontMetrics(font);
        int w = Math.min(4000, fm.stringWidth(s) + size / 2);
        int h = fm.getHeight() + size / 4;
        g0.dispose();
        BufferedImage img = new BufferedImage(Math.max(2, w), Math.max(2, h), BufferedImage.TYPE_INT_ARGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(font);
        int bx = size / 4;
        int by = fm.getAscent() + size / 8;
        int d = Math.max(1, size / 16);
        g.setColor(new Color(0, 0, 0, 200));
        for (int dx = -d; dx <= d; dx += d) for (int dy = -d; dy <= d; dy += d) g.drawString(s, bx + dx, by + dy);
        g.setColor(Color.WHITE);
        g.drawString(s, bx, by);
        g.dispose();
        return img;
    }

    /** Scaled down to fit in maxW x maxH, aspect kept; never enlarged. */
    private static BufferedImage fit(BufferedImage img, int maxW, int maxH) {
        double scale = Math.min(1.0, Math.min((double) maxW / img.getWidth(), (double) maxH / img.getHeight()));
        if (scale >= 1.0) return img;
        int w = Math.max(2, (int) (img.getWidth() * scale));
        int h = Math.max(2, (int) (img.getHeight() * scale));
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_ARGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        g.drawImage(img, 0, 0, w, h, null);
        g.dispose();
        return out;
    }

    /** ARGB to limited-range BT.601 Y, U, V (chroma averaged over 2x2) with alpha times opacity. */
    private static Mark convert(BufferedImage img, int x, int y, int w, int h, double opacity) {
        byte[] luma = new byte[w * h];
        byte[] alpha = new byte[w * h];
        int cw = w / 2;
        int ch = h / 2;
        byte[] u = new byte[cw * ch];
        byte[] v = new byte[cw * ch];
        byte[] ca = new byte[cw * ch];
        for (int r = 0; r < h; r += 2) {
            for (int c = 0; c < w; c += 2) {
                double su = 0;
                double sv = 0;
                int sa = 0;
                for (int k = 0; k < 4; k++) {
                    int px = img.getRGB(c + (k & 1), r + (k >> 1));
                    int a = (int) Math.round(((px >>> 24) & 0xff) * opacity);
                    int red = (px >> 16) & 0xff;
                    int green = (px >> 8) & 0xff;
                    int blue = px & 0xff;
                    int i = (r + (k >> 1)) * w + c + (k & 1);
                    luma[i] = (byte) Math.round(16 + (65.481 * red + 128.553 * green + 24.966 * blue) / 255);
                    alpha[i] = (byte) a;
                    su += a * (128 + (-37.797 * red - 74.203 * green + 112.0 * blue) / 255);
                    sv += a * (128 + (112.0 * red - 93.786 * green - 18.214 * blue) / 255);
                    sa += a;
                }
                int ci = (r / 2) * cw + c / 2;
                u[ci] = (byte) (sa == 0 ? 128 : Math.round(su / sa));
                v[ci] = (byte) (sa == 0 ? 128 : Math.round(sv / sa));
                ca[ci] = (byte) (sa / 4);
            }
        }
        return new Mark(x, y, w, h, luma, u, v, alpha, ca);
    }
}
