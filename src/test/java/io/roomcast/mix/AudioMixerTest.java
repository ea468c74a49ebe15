package io.roomcast.mix;

import io.roomcast.Roomcast;
import io.roomcast.support.Api;
import io.roomcast.support.RtpSender;
import io.roomcast.support.TestNode;
import io.roomcast.support.Tokens;
import io.roomcast.support.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two participants' tones over real RTP: the mix holds both without clipping, the active speaker follows. */
class AudioMixerTest {
    @TempDir
    Path data;

    static short[] tone(double hz, int amplitude, double fromS, double toS, double totalS) {
        short[] s = new short[(int) (totalS * 48000)];
        for (int i = (int) (fromS * 48000); i < (int) (toS * 48000); i++) {
            s[i] = (short) (amplitude * Math.sin(2 * Math.PI * hz * i / 48000));
        }
        return s;
    }

    /** Goertzel power of one frequency in a block, normalised by the block length. */
    static double power(short[] x, int from, int n, double hz) {
        double k = 2 * Math.cos(2 * Math.PI * hz / 48000);
        double s1 = 0;
        double s2 = 0;
        for (int i = from; i < from + n; i++) {
            double s0 = x[i] + k * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        return (s1 * s1 + s2 * s2 - k * s1 * s2) / n / n;
    }

    @Test
    void bothVoicesAreMixedAndTheLouderTakesTheFloor() throws Exception {
        try (Roomcast node = TestNode.start(data); WebhookReceiver hooks = new WebhookReceiver()) {
            Api api = new Api(node.httpPort(), Tokens.admin());
            String room = api.post("/v2/rooms", new JsonObject().put("webhook", new JsonObject().put("url", hooks.url())
                    .put("events", new JsonArray().add("speaker-changed")))).json().getString("roomId");
            for (String[] p : new String[][] {{"ann", "41"}, {"ben", "42"}}) {
                api.post("/v2/rooms/" + room + "/participants", new JsonObject().put("participantId", p[0]).put("name", p[0])
                        .put("tracks", new JsonArray().add(new JsonObject().put("kind", "audio").put("codec", "opus")
                                .put("ssrc", Long.parseLong(p[1])).put("payloadType", 111))));
            }
            ConcurrentSkipListMap<Long, short[]> mix = new ConcurrentSkipListMap<>();
            node.mixer().addListener((r, s, start, pcm) -> {
                if (r.equals(room)) mix.put(start, pcm.clone());
            });
            try (RtpSender a = RtpSender.opus(node.rtpPort(), 41, 111); RtpSender b = RtpSender.opus(node.rtpPort(), 42, 111)) {
                a.startSamples(tone(440, 8000, 0, 3, 5.5), 48000);  // Ann: 0-3 s
                b.startSamples(tone(660, 24000, 1.5, 5, 5.5), 48000); // Ben, 10 dB louder: 1.5-5 s
                a.join();
                b.join();
            }
            Thread.sleep(500);

            List<String> speakers = hooks.deliveries().stream()
                    .map(d -> d.json().getJsonObject("data").getString("participantId")).toList();
            assertEquals(List.of("ann", "ben"), speakers, "Ann first, then Ben once he is clearly louder, no flicker");

            // Lay the mixed frames end to end and look at the middle of the overlap (about 2.2-2.7 s in).
            // The mix goes on (silence) while the session lasts: take a snapshot.
            TreeMap<Long, short[]> frames = new TreeMap<>(mix);
            long first = frames.firstKey();
            short[] all = new short[frames.size() * AudioMixer.FRAME];
            int max = 0;
            int i = 0;
            for (short[] f : frames.values()) {
                System.arraycopy(f, 0, all, i, f.length);
                i += f.length;
                for (short v : f) max = Math.max(max, Math.abs(v));
            }
            assertEquals(frames.lastKey() - first, (frames.size() - 1) * 20_000L, "one frame every 20 ms, no gaps");
            int overlap = (int) (2.2 * 48000);
            int late = (int) (4.2 * 48000);
            double ann = power(all, overlap, 24000, 440);
            double ben = power(all, overlap, 24000, 660);
            assertTrue(ann > 1e5 && ben > 1e6, "both tones in the overlap: 440 Hz " + ann + ", 660 Hz " + ben);
            assertTrue(power(all, late, 24000, 440) < ann / 100, "Ann stopped at 3 s");
            assertTrue(max < 32767, "the limiter keeps 8000 + 24000 below full scale: peak " + max);
            assertTrue(max > 20000, "and does not squash it: peak " + max);
        }
    }

    @Test
    void limiterIsLinearBelowHalfScaleAndNeverClips() {
        assertEquals(12000, AudioMixer.limit(12000f));
        assertEquals(-16000, AudioMixer.limit(-16000f));
        assertTrue(AudioMixer.limit(40000f) < 32767 && AudioMixer.limit(40000f) > 30000);
        assertTrue(AudioMixer.limit(-1e6f) >= -32767);
        assertTrue(AudioMixer.limit(20000f) < AudioMixer.limit(24000f), "monotonic");
    }
}
