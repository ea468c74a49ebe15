package io.roomcast.bench;

import io.roomcast.ingest.Decoder;
import io.roomcast.ingest.Depacketizer;
import io.roomcast.ingest.RtpPacket;
import io.roomcast.mix.Layout;
import io.roomcast.mix.VideoCompositor;
import io.vertx.core.json.JsonObject;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The picture quality of a pipeline's composite, measured the same way for each: one camera's tile
 * is cut out of every picture of the pipeline's MP4 and compared (Y-PSNR, SSIM on luma) with the
 * camera's own pictures as every pipeline received them (the VP8 RTP decoded), frame by frame after
 * finding where the file starts in the camera's sequence. The region compared leaves out the tile's
 * edges and the name label at its bottom, so Roomcast's labels and gaps and the peers' bare tiles
 * are judged on the same pixels. All three cameras of the bench show the same pictures, so any tile
 * serves.
 */
final class CompositeQuality {
    /** The compared region, in the camera's coordinates: inside every pipeline's tile, above the label. */
    static final int X0 = 8;
    static final int Y0 = 8;
    static final int W = 600;
    static final int H = 288;
    static final int CAMERA_W = 640;
    static final int CAMERA_H = 360;

    /** Where a camera's pixel (0, 0) lands in a pipeline's 1280x720 composite. */
    record Placement(int x, int y) {
    }

    /** Roomcast's grid-720p with three cameras: the first tile, the camera's centre copied into it. */
    static Placement roomcast() {
        List<Layout.Feed> feeds = List.of(new Layout.Feed("a", "A", "camera"), new Layout.Feed("b", "B", "camera"),
                new Layout.Feed("c", "C", "camera"));
        Layout.Tile t = Layout.tiles("GRID", 9, 1280, 720, feeds).get(0);
        return new Placement(t.x() - VideoCompositor.cropOffset(CAMERA_W, t.w()), t.y() - VideoCompositor.cropOffset(CAMERA_H, t.h()));
    }

    /** The peers' layouts put the first camera at (0, 0), unscaled. */
    static Placement topLeft() {
        return new Placement(0, 0);
    }

    /** The compared region of each picture of the camera track, decoded as a node decodes it. */
    static List<byte[]> reference(List<byte[]> vp8Rtp) throws Exception {
        List<byte[]> out = new ArrayList<>();
        Depacketizer depacketizer = Depacketizer.forCodec("vp8");
        try (Decoder decoder = new Decoder("vp8")) {
            for (byte[] d : vp8Rtp) {
                RtpPacket p = RtpPacket.parse(d, d.length, 0);
                depacketizer.packet(p, f -> decoder.decode(f.data(), frame -> {
                    byte[] region = new byte[W * H];
                    int stride = frame.linesize(0);
                    for (int r = 0; r < H; r++) {
                        frame.data(0).position((long) (Y0 + r) * stride + X0).get(region, r * W, W);
                    }
                    out.add(region);
                }));
            }
        }
        return out;
    }

    /** The same region of every picture of {@code mp4}, where the camera was placed at {@code at}. */
    static List<byte[]> pictures(Path mp4, Placement at) throws Exception {
        List<byte[]> out = new ArrayList<>();
        try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(mp4.toFile())) {
            g.setPixelFormat(avutil.AV_PIX_FMT_GRAY8);
            g.start();
            Frame f;
            while ((f = g.grabImage()) != null) {
                ByteBuffer b = (ByteBuffer) f.image[0];
                byte[] region = new byte[W * H];
                for (int r = 0; r < H; r++) b.position((at.y() + Y0 + r) * f.imageStride + at.x() + X0).get(region, r * W, W);
                out.add(region);
            }
        }
        return out;
    }

    /**
     * Mean Y-PSNR and SSIM of {@code pictures} against {@code reference} over the middle of the file
     * (from 5 s to 5 s before its end): the offset into the reference is found once on a coarse grid,
     * then each picture is matched within one frame of it (a compositor may show a camera's picture
     * a frame early or late).
     */
    static JsonObject compare(List<byte[]> reference, List<byte[]> pictures, int fps) {
        int from = 5 * fps;
        int to = pictures.size() - 5 * fps;
        if (to - from < fps) throw new IllegalStateException("too short to compare: " + pictures.size() + " pictures");
        int offset = offset(reference, pictures, from + (to - from) / 2, fps);
        double psnrSum = 0;
        double ssimSum = 0;
        int n = 0;
        for (int i = from; i < to; i++) {
            double bestMse = Double.MAX_VALUE;
            int best = -1;
            for (int k = i + offset - 1; k <= i + offset + 1; k++) {
                if (k < 0 || k >= reference.size()) continue;
                double mse = mse(reference.get(k), pictures.get(i), 1);
                if (mse < bestMse) {
                    bestMse = mse;
                    best = k;
                }
            }
            if (best < 0) continue;
            psnrSum += psnr(bestMse);
            ssimSum += ssim(reference.get(best), pictures.get(i));
            n++;
        }
        return new JsonObject().put("yPsnrDb", IngestBench.round(psnrSum / n)).put("ssim", Math.round(ssimSum / n * 10000) / 10000.0)
                .put("picturesCompared", n).put("offsetFrames", offset);
    }

    /** The shift into the reference that best matches one second of pictures around {@code middle}. */
    private static int offset(List<byte[]> reference, List<byte[]> pictures, int middle, int fps) {
        int best = 0;
        double bestMse = Double.MAX_VALUE;
        for (int d = -middle; d + middle < reference.size(); d++) {
            double sum = 0;
            int n = 0;
            for (int i = middle - fps / 2; i < middle + fps / 2; i++) {
                if (i + d < 0 || i + d >= reference.size()) continue;
                sum += mse(reference.get(i + d), pictures.get(i), 7);
                n++;
            }
            if (n >= fps - 1 && sum / n < bestMse) {
                bestMse = sum / n;
                best = d;
            }
        }
        return best;
    }

    private static double mse(byte[] a, byte[] b, int step) {
        long sum = 0;
        int n = 0;
        for (int i = 0; i < a.length; i += step) {
            int e = (a[i] & 0xff) - (b[i] & 0xff);
            sum += e * e;
            n++;
        }
        return (double) sum / n;
    }

    private static double psnr(double mse) {
        return mse <= 1e-9 ? 100 : 10 * Math.log10(255.0 * 255.0 / mse);
    }

    /** SSIM of the luma over 8x8 blocks (the constants of Wang et al. for 8-bit samples), averaged. */
    static double ssim(byte[] a, byte[] b) {
        final double c1 = 6.5025;
        final double c2 = 58.5225;
        double sum = 0;
        int blocks = 0;
        for (int by = 0; by + 8 <= H; by += 8) {
            for (int bx = 0; bx + 8 <= W; bx += 8) {
                double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
                for (int y = by; y < by + 8; y++) {
                    for (int x = bx; x < bx + 8; x++) {
                        int va = a[y * W + x] & 0xff;
                        int vb = b[y * W + x] & 0xff;
                        sa += va;
                        sb += vb;
                        saa += va * va;
                        sbb += vb * vb;
                        sab += va * vb;
                    }
                }
                double ma = sa / 64, mb = sb / 64;
                double va = saa / 64 - ma * ma, vb = sbb / 64 - mb * mb, cov = sab / 64 - ma * mb;
                sum += (2 * ma * mb + c1) * (2 * cov + c2) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
                blocks++;
            }
        }
        return sum / blocks;
    }

    private CompositeQuality() {
    }
}
