package io.roomcast.mix;

import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.javacpp.BytePointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.File;
import java.util.ArrayList;
import java.util.List;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_get_buffer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Layouts as arithmetic, and composed pictures read back pixel by pixel. */
class CompositorTest {
    private final List<AVFrame> frames = new ArrayList<>();

    @AfterEach
    void free() {
        for (AVFrame f : frames) av_frame_free(f);
    }

    AVFrame frame(int w, int h, int y, int u, int v) {
        AVFrame f = av_frame_alloc();
        f.width(w);
        f.height(h);
        f.format(AV_PIX_FMT_YUV420P);
        av_frame_get_buffer(f, 32);
        VideoCompositor.fill(f, 0, 0, w, h, y, u, v);
        frames.add(f);
        return f;
    }

    static int luma(AVFrame f, int x, int y) {
        BytePointer p = f.data(0);
        return p.get((long) y * f.linesize(0) + x) & 0xff;
    }

    static Layout.Feed feed(String id) {
        return new Layout.Feed(id, id.substring(0, 1).toUpperCase() + id.substring(1) + " Smith", "camera");
    }

    @Test
    void gridTilesDoNotOverlapAndStayOnTheCanvas() {
        for (int n = 1; n <= 9; n++) {
            List<Layout.Feed> feeds = new ArrayList<>();
            for (int i = 0; i < n; i++) feeds.add(feed("p" + i));
            for (int[] size : new int[][] {{1280, 720}, {720, 1280}}) {
                List<Layout.Tile> tiles = Layout.tiles("GRID", 9, size[0], size[1], feeds);
                assertEquals(n, tiles.size());
                for (Layout.Tile a : tiles) {
                    assertTrue(a.x() >= 0 && a.y() >= 0 && a.x() + a.w() <= size[0] && a.y() + a.h() <= size[1], a.toString());
                    assertEquals(0, a.x() % 2);
                    assertEquals(0, a.w() % 2);
                    for (Layout.Tile b : tiles) {
                        if (a == b) continue;
                        boolean apart = a.x() + a.w() <= b.x() || b.x() + b.w() <= a.x() || a.y() + a.h() <= b.y() || b.y() + b.h() <= a.y();
                        assertTrue(apart, a + " overlaps " + b);
                    }
                }
            }
        }
        assertEquals(4, Layout.tiles("GRID", 4, 1280, 720, List.of(feed("a"), feed("b"), feed("c"), feed("d"), feed("e"))).size(),
                "gridSize caps the tiles");
    }

    @Test
    void spotlightSidebarAndScreenShareGiveTheFirstFeedTheLargeArea() {
        List<Layout.Feed> feeds = List.of(feed("a"), feed("b"), feed("c"));
        List<Layout.Tile> spot = Layout.tiles("SPOTLIGHT", 9, 1280, 720, feeds);
        assertEquals(1, spot.size());
        assertEquals(1280, spot.get(0).w());
        List<Layout.Tile> side = Layout.tiles("SIDEBAR", 9, 1280, 720, feeds);
        assertEquals(3, side.size());
        assertTrue(side.get(0).large() && side.get(0).w() > 2.5 * side.get(1).w(), side.toString());
        List<Layout.Feed> withScreen = List.of(new Layout.Feed("b", "B", "screen"), feed("a"), feed("b"));
        List<Layout.Tile> grid = Layout.tiles("GRID", 9, 1280, 720, withScreen);
        assertEquals("screen", grid.get(0).feed().source());
        assertTrue(grid.get(0).large() && grid.get(0).w() > 900, "a screen share takes the large area even in GRID: " + grid);
    }

    @Test
    void composedPictureHasEachFeedInItsTileAPlaceholderAndLabels() throws Exception {
        AVFrame red = frame(640, 360, 81, 90, 240);   // red in BT.601
        AVFrame blue = frame(320, 240, 41, 240, 110); // blue, 4:3: letterboxed in a 16:9 tile
        AVFrame canvas = frame(1280, 720, 0, 0, 0);
        VideoInputs inputs = new VideoInputs();
        VideoCompositor c = new VideoCompositor(1280, 720, "DARK");
        try {
            inputs.add("ann/camera", 1_000_000, red);
            inputs.add("ben/camera", 1_000_000, blue);
            List<Layout.Feed> feeds = List.of(feed("ann"), feed("ben"), feed("cy"));
            List<Layout.Tile> tiles = Layout.tiles("GRID", 9, 1280, 720, feeds);
            c.compose(canvas, 1_040_000, tiles, inputs);
            Layout.Tile ann = tiles.get(0);
            Layout.Tile ben = tiles.get(1);
            Layout.Tile cy = tiles.get(2);
            assertEquals(81, luma(canvas, ann.x() + ann.w() / 2, ann.y() + ann.h() / 3), 2);
            assertEquals(41, luma(canvas, ben.x() + ben.w() / 2, ben.y() + ben.h() / 3), 2);
            assertEquals(40, luma(canvas, ben.x() + 2, ben.y() + ben.h() / 2), 2, "4:3 in a 16:9 tile: side bars");
            for (int x = ann.x(); x < ann.x() + ann.w(); x++) {
                int l = luma(canvas, x, ann.y() + ann.h() / 3);
                assertTrue(l == 81 || l == 40, "only picture or tile colour across the tile, at x=" + x + ": " + l);
            }
            assertEquals(40, luma(canvas, cy.x() + 4, cy.y() + 4), 2, "no camera: the placeholder tile");
            int bright = 0;
            for (int x = cy.x(); x < cy.x() + cy.w(); x++) if (luma(canvas, x, cy.y() + cy.h() / 2) > 200) bright++;
            assertTrue(bright > 20, "initials drawn across the middle of the placeholder: " + bright);
            int label = 0;
            for (int y = ann.y() + ann.h() - 40; y < ann.y() + ann.h(); y++) {
                for (int x = ann.x(); x < ann.x() + 200; x++) if (luma(canvas, x, y) > 200) label++;
            }
            assertTrue(label > 50, "a name label in the corner: " + label);
            assertEquals(16, luma(canvas, 1, 1), "theme background");
            writePng(canvas, new File("target/compositor-grid.png"));
            // Later than the stale limit, the camera counts as off.
            c.compose(canvas, 1_000_000 + VideoCompositor.STALE_MICROS + 40_000, tiles, inputs);
            assertEquals(40, luma(canvas, ann.x() + 4, ann.y() + 4), 2);
        } finally {
            c.close();
            inputs.close();
        }
    }

    @Test
    void aCameraAFewPixelsLargerThanItsTileIsCroppedNotScaled() {
        // A 360p camera in the 720p grid: its tiles are 634x354, so 6 columns and 6 rows are cut (2 on
        // the top and left, 4 on the bottom and right: chroma needs even offsets). The cut-off frame is
        // 150; the picture's first and last kept pixels are markers, which must land on the tile's corners.
        AVFrame cam = frame(640, 360, 81, 90, 240);
        VideoCompositor.fill(cam, 0, 0, 640, 2, 150, 128, 128);
        VideoCompositor.fill(cam, 0, 356, 640, 4, 150, 128, 128);
        VideoCompositor.fill(cam, 0, 0, 2, 360, 150, 128, 128);
        VideoCompositor.fill(cam, 636, 0, 4, 360, 150, 128, 128);
        cam.data(0).put(2L * cam.linesize(0) + 2, (byte) 200);
        cam.data(0).put(355L * cam.linesize(0) + 635, (byte) 210);
        cam.data(0).put(100L * cam.linesize(0) + 100, (byte) 220);
        AVFrame canvas = frame(1280, 720, 0, 0, 0);
        VideoInputs inputs = new VideoInputs();
        VideoCompositor c = new VideoCompositor(1280, 720, "DARK");
        try {
            inputs.add("ann/camera", 1_000_000, cam);
            List<Layout.Tile> tiles = Layout.tiles("GRID", 9, 1280, 720, List.of(feed("ann"), feed("ben"), feed("cy")));
            Layout.Tile t = tiles.get(0);
            assertEquals(634, t.w());
            assertEquals(354, t.h());
            c.compose(canvas, 1_000_000, tiles, inputs);
            assertEquals(200, luma(canvas, t.x(), t.y()), "the tile starts on the picture's pixel (2, 2)");
            assertEquals(210, luma(canvas, t.x() + t.w() - 1, t.y() + t.h() - 1), "and ends on its pixel (635, 355)");
            assertEquals(220, luma(canvas, t.x() + 98, t.y() + 98), "a pixel copied as it is, not a scaled blend");
            assertEquals(81, luma(canvas, t.x() + 97, t.y() + 98));
            for (int x = t.x() + 1; x < t.x() + t.w() - 1; x++) {
                assertEquals(81, luma(canvas, x, t.y()), "nothing of the cut frame along the top, x=" + x);
            }
            for (int y = t.y() + 1; y < t.y() + t.h() / 2; y++) {
                assertEquals(81, luma(canvas, t.x(), y), "nor down the left, y=" + y);
                assertEquals(81, luma(canvas, t.x() + t.w() - 1, y), "nor down the right, y=" + y);
            }
            assertEquals(16, luma(canvas, t.x() + t.w(), t.y() + t.h() / 3), "the gap beside the tile stays background");
            assertTrue(VideoCompositor.nearlyFits(640, 634) && !VideoCompositor.nearlyFits(640, 600) && !VideoCompositor.nearlyFits(630, 634));
        } finally {
            c.close();
            inputs.close();
        }
    }

    /** For looking at: the luma plane as a grey PNG. */
    static void writePng(AVFrame f, File out) throws Exception {
        BufferedImage img = new BufferedImage(f.width(), f.height(), BufferedImage.TYPE_BYTE_GRAY);
        byte[] row = new byte[f.width()];
        for (int y = 0; y < f.height(); y++) {
            f.data(0).position((long) y * f.linesize(0)).get(row);
            img.getRaster().setDataElements(0, y, f.width(), 1, row);
        }
        out.getParentFile().mkdirs();
        ImageIO.write(img, "png", out);
    }
}
