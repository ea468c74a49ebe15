package io.roomcast.output.recording;

import io.roomcast.encode.Presets;
import io.roomcast.output.Manifest;
import io.roomcast.output.ManifestStore;
import io.roomcast.output.OutputStatus;
import io.roomcast.storage.EmbeddedS3;
import io.roomcast.storage.ObjectStore;
import io.roomcast.storage.Persister;
import io.roomcast.support.Media;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ShortBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Recovery on its own, against a real embedded S3 store: the parts a crash left (a fragmented MP4
 * cut into uploads) become one playable MP4 and a stopped manifest; no parts make a failed one.
 */
class RecordingRecoveryTest {
    @TempDir
    Path data;
    Vertx vertx;
    EmbeddedS3 s3;
    ObjectStore store;
    ManifestStore manifests;
    RecordingRecovery recovery;

    @BeforeEach
    void store() throws Exception {
        vertx = Vertx.vertx();
        s3 = EmbeddedS3.start(data.resolve("s3"), "127.0.0.1", 0, "ak", "secret-key-0123", "roomcast");
        store = new ObjectStore(vertx, s3.endpoint(), "us-east-1", "ak", "secret-key-0123", "roomcast", true, Duration.ofHours(1));
        store.ensureBucket().await(30, TimeUnit.SECONDS);
        manifests = new ManifestStore(store, new Persister(store), "meta/recordings/");
        recovery = new RecordingRecovery(store, manifests, new Presets(Path.of("pipelines").toAbsolutePath(), "grid-360p"), data);
    }

    @AfterEach
    void close() throws Exception {
        store.close();
        vertx.close().await(10, TimeUnit.SECONDS);
        s3.close();
    }

    /** 3 s of 640x360 H.264 + AAC as a recording writes it: fragmented, starting with an empty moov. */
    private static byte[] fragmented(Path file) throws Exception {
        try (FFmpegFrameRecorder r = new FFmpegFrameRecorder(file.toString(), 640, 360, 1)) {
            r.setFormat("mp4");
            r.setOption("movflags", "frag_keyframe+empty_moov+default_base_moof");
            r.setVideoCodec(avcodec.AV_CODEC_ID_H264);
            r.setFrameRate(25);
            r.setGopSize(25);
            r.setVideoBitrate(400_000);
            r.setAudioCodec(avcodec.AV_CODEC_ID_AAC);
            r.setSampleRate(48000);
            r.setAudioBitrate(96_000);
            r.start();
            Frame picture = new Frame(640, 360, Frame.DEPTH_UBYTE, 3);
            ByteBuffer px = (ByteBuffer) picture.image[0];
            short[] tone = new short[1920];
            for (int i = 0; i < 75; i++) {
                for (int j = 0; j < px.capacity(); j++) px.put(j, (byte) (j % 640 + i * 3));
                r.record(picture);
                for (int j = 0; j < tone.length; j++) tone[j] = (short) (8000 * Math.sin(2 * Math.PI * 440 * (i * tone.length + j) / 48000.0));
                r.recordSamples(48000, 1, ShortBuffer.wrap(tone));
            }
        }
        return Files.readAllBytes(file);
    }

    private JsonObject interrupted(String id) {
        return new JsonObject().put("id", id).put("roomId", "room-a").put("sessionId", "sess-a")
                .put("status", OutputStatus.STARTED.wire()).put("createdAt", "2026-12-03T06:00:00Z")
                .put("start", "2026-12-03T06:00:01Z").put("keyBase", "recordings/room-a/" + id)
                .put("config", new JsonObject().put("mode", "video-and-audio").put("resolution", "640x360"));
    }

    @Test
    void uploadedPartsBecomeOnePlayableMp4() throws Exception {
        byte[] bytes = fragmented(data.resolve("rec.fmp4"));
        JsonObject m = interrupted("rec1");
        String keyBase = m.getString("keyBase");
        int cut1 = bytes.length / 3;
        int cut2 = 2 * bytes.length / 3;
        List<byte[]> parts = List.of(Arrays.copyOfRange(bytes, 0, cut1), Arrays.copyOfRange(bytes, cut1, cut2),
                Arrays.copyOfRange(bytes, cut2, bytes.length));
        for (int i = 0; i < parts.size(); i++) {
            store.put(Finalizer.partKey(keyBase, i + 1), Buffer.buffer(parts.get(i)), "video/mp4").await(30, TimeUnit.SECONDS);
        }
        manifests.put(m).await(30, TimeUnit.SECONDS);

        recovery.start(List.of(Manifest.of(m)), false);
        assertTrue(recovery.await(60_000), "recovery finished");

        Manifest done = manifests.get("rec1");
        assertEquals(OutputStatus.STOPPED, done.status(), done.json().encode());
        assertEquals(Boolean.TRUE, done.json().getBoolean("interrupted"));
        JsonObject file = done.json().getJsonObject("file");
        assertNotNull(file, done.json().encode());
        assertEquals(keyBase + ".mp4", file.getString("filePath"));
        assertTrue(store.listKeys(keyBase + Finalizer.PARTS).await(30, TimeUnit.SECONDS).isEmpty(), "the parts are removed");
        Buffer mp4 = store.get(keyBase + ".mp4").await(30, TimeUnit.SECONDS);
        Path local = data.resolve("back.mp4");
        Files.write(local, mp4.getBytes());
        Media.Probe p = Media.probe(local.toString());
        assertEquals("h264", p.videoCodec(), p.toString());
        assertEquals("aac", p.audioCodec(), p.toString());
        assertTrue(Math.abs(p.seconds() - 3.0) < 0.3, p.toString());
        assertEquals(3.0, file.getJsonObject("meta").getDouble("duration"), 0.3);
        JsonObject stored = store.getJson(keyBase + ".json").await(30, TimeUnit.SECONDS);
        assertEquals(OutputStatus.STOPPED.wire(), stored.getString("status"), "the recording's own JSON is written too");
    }

    @Test
    void noPartsMakeAFailedRecordingWithAReason() throws Exception {
        JsonObject m = interrupted("rec2");
        manifests.put(m).await(30, TimeUnit.SECONDS);
        recovery.start(List.of(Manifest.of(m)), false);
        assertTrue(recovery.await(60_000));
        Manifest done = manifests.get("rec2");
        assertEquals(OutputStatus.FAILED, done.status(), done.json().encode());
        assertTrue(done.json().getString("reason").contains("before any of the recording was uploaded"), done.json().encode());
    }
}
