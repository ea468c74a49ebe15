package io.roomcast.compose;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * One picture of the composite as it was encoded, scaled down: 8-bit BGR rows ({@code width * 3}
 * bytes each), and the session time (µs) it shows. A plain Java copy, so it is made into a JPEG off
 * the media thread.
 */
public record Still(long sessionMicros, int width, int height, byte[] bgr) {
    /** JPEG quality: a thumbnail or "live now" tile, not an archive. */
    private static final float QUALITY = 0.8f;

    /** The picture as a baseline JPEG (Java's own encoder; CPU, no native objects). */
    public byte[] jpeg() throws IOException {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        byte[] px = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
        System.arraycopy(bgr, 0, px, 0, Math.min(px.length, bgr.length));
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream(width * height / 4);
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(stream);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(QUALITY);
            writer.write(null, new IIOImage(img, null, null), param);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }
}
