package io.roomcast.encode;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import org.bytedeco.javacpp.BytePointer;

import java.util.logging.Logger;

/**
 * The machine's own OpenH264 library (Debian's {@code libopenh264-7}, Cisco's binary), called
 * through JNA on its C API: {@code WelsCreateSVCEncoder} and the encoder's function table. The
 * OpenH264 built into JavaCV's libavcodec is several times slower on the same pictures
 * (docs/benchmarks.md), so a node uses this one when the library is installed and falls back to
 * FFmpeg's {@code libopenh264} when it is not.
 *
 * <p>Set up as FFmpeg's wrapper does (quality rate control at the target bitrate, one thread, no
 * frame skipping, CAVLC baseline, IDR every {@code gop} pictures), so the stream is the same kind
 * as before. One owner: the encoder thread; the native encoder and the structs handed to it are
 * freed once by {@link #close}.
 */
final class SystemOpenH264 implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SystemOpenH264.class.getName());
    // The encoder's function table (ISVCEncoderVtbl), in order.
    private static final int INITIALIZE_EXT = 1;
    private static final int GET_DEFAULT_PARAMS = 2;
    private static final int UNINITIALIZE = 3;
    private static final int ENCODE_FRAME = 4;
    private static final int ENCODE_PARAMETER_SETS = 5;
    private static final int FORCE_INTRA_FRAME = 6;
    private static final int SET_OPTION = 7;
    // ENCODER_OPTION values.
    private static final int OPTION_TRACE_LEVEL = 25;
    // SEncParamExt offsets after sSpatialLayers[4] (each 200 bytes from offset 32).
    private static final int EXT_COMPLEXITY = 832;
    private static final int EXT_INTRA_PERIOD = 836;
    private static final int EXT_NUM_REF = 840;
    private static final int EXT_SPS_PPS_STRATEGY = 844;
    private static final int EXT_ENTROPY = 856;
    private static final int EXT_FRAME_SKIP = 860;
    private static final int EXT_MAX_BITRATE = 864;
    private static final int EXT_THREADS = 892;
    private static final int EXT_DENOISE = 908;
    private static final int VIDEO_FORMAT_I420 = 23;
    private static final int FRAME_TYPE_IDR = 1;
    private static final int FRAME_TYPE_SKIP = 4;
    private static final int MAX_LAYERS = 128;
    /** SLayerBSInfo is 56 bytes since OpenH264 added per-layer PSNR, 40 before. */
    private static final int[] LAYER_SIZES = {56, 40};

    /** The library, looked up once when first asked for. */
    private static final class Library {
        static final NativeLibrary INSTANCE = load();
    }

    /** One encoded picture: Annex B bytes (without SPS/PPS, which are the extradata) and whether it is an IDR. */
    record Encoded(byte[] data, boolean keyframe) {
    }

    private final BytePointer params = zeroed(4096);
    private final BytePointer picture = zeroed(128);
    private final BytePointer info = zeroed(8 + MAX_LAYERS * 56 + 64);
    private final BytePointer scratch = zeroed(16);
    private final Pointer pointerTo;
    private Pointer encoder;
    /** The encoder's function table, looked up once: EncodeFrame runs for every picture. */
    private final Function[] functions = new Function[SET_OPTION + 1];
    private final int width;
    private final int height;
    private final int fps;
    private int layerSize;
    private boolean closed;

    /** The library; null when this machine has none. */
    static NativeLibrary library() {
        return Library.INSTANCE;
    }

    /** {@code libopenh264.so}, or the newest versioned one (Debian ships only {@code libopenh264.so.7}). */
    private static NativeLibrary load() {
        try {
            NativeLibrary lib = NativeLibrary.getInstance("openh264");
            lib.getFunction("WelsCreateSVCEncoder");
            LOG.info(() -> "the system's OpenH264 (" + lib.getFile() + ") is available for H.264");
            return lib;
        } catch (UnsatisfiedLinkError e) {
            return null;
        }
    }

    static boolean available() {
        return library() != null;
    }

    SystemOpenH264(int width, int height, int fps, int bitrate, int gop) {
        NativeLibrary lib = library();
        if (lib == null) {
            freeBuffers();
            throw new IllegalStateException("this machine has no libopenh264");
        }
        this.width = width;
        this.height = height;
        this.fps = fps;
        BytePointer holder = zeroed(8);
        try {
            Pointer out = new Pointer(holder.address());
            int r = lib.getFunction("WelsCreateSVCEncoder").invokeInt(new Object[] {out});
            if (r != 0 || out.getPointer(0) == null) throw new IllegalStateException("WelsCreateSVCEncoder failed: " + r);
            encoder = out.getPointer(0);
        } finally {
            holder.close();
        }
        Pointer table = encoder.getPointer(0);
        for (int slot = 0; slot < functions.length; slot++) functions[slot] = Function.getFunction(table.getPointer(slot * 8L));
        pointerTo = new Pointer(scratch.address());
        try {
            setInt(OPTION_TRACE_LEVEL, 1); // errors only
            Pointer p = new Pointer(params.address());
            call(GET_DEFAULT_PARAMS, p);
            // SEncParamExt past the first spatial layer is read where OpenH264 1.8-2.x keep it, after
            // checking that the defaults sit there (iNumRefFrame = AUTO, SPS/PPS ids increasing, one thread).
            if (p.getInt(EXT_NUM_REF) != -1 || p.getInt(EXT_SPS_PPS_STRATEGY) != 1 || p.getShort(EXT_THREADS) != 1
                    || p.getInt(EXT_COMPLEXITY) < 0 || p.getInt(EXT_COMPLEXITY) > 2) {
                throw new IllegalStateException("this libopenh264's SEncParamExt layout is not one Roomcast knows");
            }
            p.setInt(0, 0); // CAMERA_VIDEO_REAL_TIME
            p.setInt(4, width);
            p.setInt(8, height);
            p.setInt(12, bitrate);
            p.setInt(16, 0); // RC_QUALITY_MODE, as FFmpeg's wrapper
            p.setFloat(20, fps);
            p.setInt(24, 1); // one temporal layer
            p.setInt(28, 1); // one spatial layer
            p.setInt(32, width);
            p.setInt(36, height);
            p.setFloat(40, fps);
            p.setInt(44, bitrate);
            p.setInt(48, bitrate);
            // LOW_COMPLEXITY (OpenH264's and FFmpeg's default; GStreamer's openh264enc uses MEDIUM).
            // Measured side by side (docs/benchmarks.md, PeerBench): MEDIUM cost the encoder thread
            // 15-30 % more and gave talking heads nothing (34.81 -> 34.82 dB, SSIM 0.9943 -> 0.9944),
            // full motion +0.03 dB and +0.006 SSIM; LOW stays within 0.15 dB of the GStreamer pipeline.
            p.setInt(EXT_COMPLEXITY, 0);
            p.setInt(EXT_INTRA_PERIOD, gop);
            p.setInt(EXT_SPS_PPS_STRATEGY, 0); // CONSTANT_ID: the extradata's SPS/PPS hold for the whole stream
            p.setInt(EXT_ENTROPY, 0); // CAVLC, baseline
            p.setByte(EXT_FRAME_SKIP, (byte) 0);
            p.setInt(EXT_MAX_BITRATE, bitrate);
            p.setByte(EXT_DENOISE, (byte) 0);
            p.setByte(EXT_DENOISE + 1, (byte) 1); // background detection
            p.setByte(EXT_DENOISE + 2, (byte) 1); // adaptive quantization
            check(call(INITIALIZE_EXT, p), "InitializeExt");
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private static BytePointer zeroed(int size) {
        BytePointer b = new BytePointer(size);
        b.fill(0);
        return b;
    }

    private int call(int slot, Object... args) {
        Object[] all = new Object[args.length + 1];
        all[0] = encoder;
        System.arraycopy(args, 0, all, 1, args.length);
        return functions[slot].invokeInt(all);
    }

    private void setInt(int option, int value) {
        scratch.putInt(0, value);
        check(call(SET_OPTION, option, pointerTo), "option " + option);
    }

    private static void check(int result, String what) {
        if (result != 0) throw new IllegalStateException("OpenH264 " + what + " failed: " + result);
    }

    /** SPS and PPS, Annex B: the stream's extradata. */
    byte[] parameterSets() {
        Pointer fbi = clearInfo();
        check(call(ENCODE_PARAMETER_SETS, fbi), "EncodeParameterSets");
        return layer(fbi, 0, 40); // the first layer sits at the same place in every layout
    }

    private byte[] layer(Pointer fbi, int i) {
        return layer(fbi, i, layerSize);
    }

    /** Encodes one I420 picture (planes and strides as FFmpeg keeps them); null when the encoder skipped it. */
    Encoded encode(long y, long u, long v, int strideY, int strideUV, long index, boolean keyframe) {
        if (keyframe) call(FORCE_INTRA_FRAME, (byte) 1);
        Pointer sp = new Pointer(picture.address());
        sp.setInt(0, VIDEO_FORMAT_I420);
        sp.setInt(4, strideY);
        sp.setInt(8, strideUV);
        sp.setInt(12, strideUV);
        sp.setPointer(24, new Pointer(y));
        sp.setPointer(32, new Pointer(u));
        sp.setPointer(40, new Pointer(v));
        sp.setInt(56, width);
        sp.setInt(60, height);
        sp.setLong(64, index * 1000 / fps);
        Pointer fbi = clearInfo();
        check(call(ENCODE_FRAME, sp, fbi), "EncodeFrame");
        if (layerSize == 0) layerSize = layout(fbi);
        int type = fbi.getInt(8 + (long) MAX_LAYERS * layerSize);
        int layers = fbi.getInt(0);
        if (type == FRAME_TYPE_SKIP || layers == 0) return null;
        // An IDR comes with SPS/PPS in a layer of its own; like FFmpeg with global headers, only the picture.
        return new Encoded(layer(fbi, layers - 1), type == FRAME_TYPE_IDR);
    }

    private Pointer clearInfo() {
        info.fill(0);
        return new Pointer(info.address());
    }

    private static byte[] layer(Pointer fbi, int i, int layerSize) {
        long base = 8 + (long) i * layerSize;
        int nals = fbi.getInt(base + 16);
        Pointer lengths = fbi.getPointer(base + 24);
        int size = 0;
        for (int n = 0; n < nals; n++) size += lengths.getInt(n * 4L);
        return fbi.getPointer(base + 32).getByteArray(0, size);
    }

    /** The SLayerBSInfo size of this library: the one whose frame size field equals the layers' NAL bytes. */
    private static int layout(Pointer fbi) {
        int layers = fbi.getInt(0);
        for (int size : LAYER_SIZES) {
            long total = 0;
            for (int i = 0; i < layers; i++) {
                long base = 8 + (long) i * size;
                int nals = fbi.getInt(base + 16);
                Pointer lengths = fbi.getPointer(base + 24);
                if (nals <= 0 || nals > 256 || lengths == null) {
                    total = -1;
                    break;
                }
                for (int n = 0; n < nals; n++) total += lengths.getInt(n * 4L);
            }
            if (layers > 0 && total > 0 && total == fbi.getInt(8 + (long) MAX_LAYERS * size + 4)) return size;
        }
        throw new IllegalStateException("this libopenh264's SFrameBSInfo layout is not one Roomcast knows");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            if (encoder != null) {
                call(UNINITIALIZE);
                library().getFunction("WelsDestroySVCEncoder").invokeVoid(new Object[] {encoder});
            }
        } finally {
            freeBuffers();
        }
    }

    private void freeBuffers() {
        params.close();
        picture.close();
        info.close();
        scratch.close();
    }
}
