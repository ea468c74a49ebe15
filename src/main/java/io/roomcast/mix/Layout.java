package io.roomcast.mix;

import java.util.ArrayList;
import java.util.List;

/**
 * Where each feed goes on the canvas: GRID (up to gridSize equal tiles), SPOTLIGHT (the first feed
 * alone) and SIDEBAR (the first feed large, a strip of the next ones). Feeds arrive ordered by
 * priority (screen share, then pin or active speaker, then the rest in join order); a screen share
 * always gets the large area, so a GRID with a screen share is laid out as a SIDEBAR. Pure
 * arithmetic on even pixel coordinates (4:2:0 chroma).
 */
public final class Layout {
    private static final int GAP = 4;

    private Layout() {
    }

    /** One participant's picture: a camera or a screen share. */
    public record Feed(String participantId, String name, String source) {
        public String key() {
            return participantId + "/" + source;
        }
    }

    public record Tile(Feed feed, int x, int y, int w, int h, boolean large) {
    }

    public static List<Tile> tiles(String type, int gridSize, int width, int height, List<Feed> feeds) {
        List<Tile> out = new ArrayList<>();
        if (feeds.isEmpty()) return out;
        boolean screen = feeds.get(0).source().equals("screen");
        if (type.equals("SPOTLIGHT")) {
            out.add(new Tile(feeds.get(0), 0, 0, width, height, true));
            return out;
        }
        if (type.equals("SIDEBAR") || screen && feeds.size() > 1) {
            sidebar(Math.max(2, gridSize), width, height, feeds, out);
            return out;
        }
        int n = Math.min(gridSize, feeds.size());
        int cols = (int) Math.ceil(Math.sqrt(n));
        if (height > width) cols = Math.max(1, (int) Math.floor(Math.sqrt(n))); // portrait: taller grid
        int rows = (n + cols - 1) / cols;
        int cellW = even((width - GAP * (cols + 1)) / cols);
        int cellH = even((height - GAP * (rows + 1)) / rows);
        for (int i = 0; i < n; i++) {
            int row = i / cols;
            int col = i % cols;
            int inRow = Math.min(cols, n - row * cols);
            int rowOffset = (width - inRow * cellW - (inRow + 1) * GAP) / 2; // centre a short last row
            int x = even(rowOffset + GAP + col * (cellW + GAP));
            int y = even(GAP + row * (cellH + GAP) + (height - rows * cellH - (rows + 1) * GAP) / 2);
            out.add(new Tile(feeds.get(i), x, y, cellW, cellH, n == 1));
        }
        return out;
    }

    private static void sidebar(int gridSize, int width, int height, List<Feed> feeds, List<Tile> out) {
        int strip = Math.min(gridSize - 1, feeds.size() - 1);
        boolean portrait = height > width;
        if (strip <= 0) {
            out.add(new Tile(feeds.get(0), 0, 0, width, height, true));
            return;
        }
        if (!portrait) {
            int stripW = even(width / 4);
            int largeW = even(width - stripW - GAP * 3);
            out.add(new Tile(feeds.get(0), GAP, GAP, largeW, even(height - 2 * GAP), true));
            int cellH = even(Math.min(stripW * 9 / 16, (height - GAP * (strip + 1)) / strip));
            int top = even((height - strip * cellH - (strip - 1) * GAP) / 2);
            for (int i = 0; i < strip; i++) {
                out.add(new Tile(feeds.get(i + 1), even(largeW + 2 * GAP), even(top + i * (cellH + GAP)), even(stripW - GAP), cellH, false));
            }
        } else {
            int stripH = even(height / 5);
            int largeH = even(height - stripH - GAP * 3);
            out.add(new Tile(feeds.get(0), GAP, GAP, even(width - 2 * GAP), largeH, true));
            int cellW = even(Math.min(stripH * 16 / 9, (width - GAP * (strip + 1)) / strip));
            int left = even((width - strip * cellW - (strip - 1) * GAP) / 2);
            for (int i = 0; i < strip; i++) {
                out.add(new Tile(feeds.get(i + 1), even(left + i * (cellW + GAP)), even(largeH + 2 * GAP), cellW, even(stripH - GAP), false));
            }
        }
    }

    public static int even(int v) {
        return Math.max(0, v & ~1);
    }
}
