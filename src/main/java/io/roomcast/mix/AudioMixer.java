package io.roomcast.mix;

import io.roomcast.events.Events;
import io.roomcast.ingest.MediaSink;
import io.roomcast.room.Room;
import io.roomcast.room.RoomService.TrackBinding;
import io.roomcast.room.RoomService;
import io.vertx.core.json.JsonObject;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The room's audio mix at 48 kHz on the session clock, and the active speaker. Every participant's
 * decoded audio is written into its own timeline at the position its timestamps give; on the room's
 * media tick the mix advances in 20 ms frames up to {@code delayMs} behind the session clock (time
 * for every participant's packets to arrive), summing everyone, silence where nobody sent, through a
 * soft limiter instead of hard clipping. Runs entirely on the room's media thread.
 */
public final class AudioMixer implements MediaSink {
    public static final int RATE = 48_000;
    public static final int FRAME = 960; // 20 ms

    /** Receives the mix; {@code pcm} is reused after the call. */
    public interface Listener {
        void mixed(String roomId, String sessionId, long startMicros, short[] pcm);

        /** Whether {@link #voice} is wanted for the session now (one participant's audio on its own). */
        default boolean wantsVoices(String sessionId) {
            return false;
        }

        /** One participant's audio of the frame just mixed (silence where they sent none); {@code pcm} is reused. */
        default void voice(String roomId, String sessionId, String participantId, long startMicros, short[] pcm) {
        }
    }

    private final RoomService rooms;
    private final Events events;
    private final long delaySamples;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, RoomMix> mixes = new ConcurrentHashMap<>();

    public AudioMixer(RoomService rooms, Events events, long delayMs) {
        this.rooms = rooms;
        this.events = events;
        this.delaySamples = delayMs * RATE / 1000;
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    /** The session's active speaker (participant id) as the mixer last decided, or null. */
    public String activeSpeaker(String sessionId) {
        RoomMix m = mixes.get(sessionId);
        return m == null ? null : m.activeSpeaker;
    }

    @Override
    public void audio(TrackBinding track, long sessionMicros, short[] pcm, int samples, boolean concealed) {
        mixes.computeIfAbsent(track.sessionId(), s -> new RoomMix(track.roomId(), s))
                .write(track.participantId(), sessionMicros * RATE / 1_000_000, pcm, samples);
    }

    @Override
    public void tick(String roomId, String sessionId, long nowMicros) {
        RoomMix mix = mixes.get(sessionId);
        if (mix != null) mix.advance(nowMicros * RATE / 1_000_000 - delaySamples);
    }

    @Override
    public void sessionClosed(String roomId, String sessionId) {
        mixes.remove(sessionId);
    }

    /** One participant's recent audio, as a ring indexed by session sample position. */
    private static final class Timeline {
        static final int SIZE = 1 << 17; // 2.7 s
        final short[] ring = new short[SIZE];
        final boolean[] filled = new boolean[SIZE];
        final Speaker speaker = new Speaker();
    }

    private final class RoomMix {
        final String roomId;
        final String sessionId;
        final Map<String, Timeline> timelines = new LinkedHashMap<>();
        final short[] out = new short[FRAME];
        final short[] own = new short[FRAME];
        final float[] acc = new float[FRAME];
        long position = -1; // next sample to mix
        volatile String activeSpeaker;
        String candidate;
        int candidateFrames;

        RoomMix(String roomId, String sessionId) {
            this.roomId = roomId;
            this.sessionId = sessionId;
        }

        void write(String participant, long at, short[] pcm, int n) {
            Timeline t = timelines.computeIfAbsent(participant, p -> new Timeline());
            if (position < 0) position = Math.max(0, at);
            for (int i = 0; i < n; i++) {
                long pos = at + i;
                if (pos < position) continue; // too late for the mix
                int idx = (int) (pos & (Timeline.SIZE - 1));
                t.ring[idx] = pcm[i];
                t.filled[idx] = true;
            }
        }

        void advance(long until) {
            if (position < 0) return;
            if (until - position > Timeline.SIZE / 2) position = until - FRAME; // stalled: skip, never mix stale audio
            boolean voices = false;
            for (Listener l : listeners) voices |= l.wantsVoices(sessionId);
            while (position + FRAME <= until) {
                Arrays.fill(acc, 0f);
                long startMicros = position * 1_000_000 / RATE;
                for (Map.Entry<String, Timeline> e : timelines.entrySet()) {
                    Timeline t = e.getValue();
                    double energy = 0;
                    for (int i = 0; i < FRAME; i++) {
                        int idx = (int) ((position + i) & (Timeline.SIZE - 1));
                        if (!t.filled[idx]) {
                            own[i] = 0;
                            continue;
                        }
                        short v = t.ring[idx];
                        own[i] = v;
                        t.filled[idx] = false;
                        acc[i] += v;
                        energy += (double) v * v;
                    }
                    t.speaker.frame(Math.sqrt(energy / FRAME));
                    if (voices) for (Listener l : listeners) l.voice(roomId, sessionId, e.getKey(), startMicros, own);
                }
                for (int i = 0; i < FRAME; i++) out[i] = limit(acc[i]);
                for (Listener l : listeners) l.mixed(roomId, sessionId, startMicros, out);
                position += FRAME;
                chooseSpeaker();
            }
        }

        /**
         * The loudest participant who has been speaking, switched only after another has been louder
         * by 6 dB for 400 ms: hysteresis, so the layout does not flicker between two people.
         */
        void chooseSpeaker() {
            String loudest = null;
            double best = 0;
            for (Map.Entry<String, Timeline> e : timelines.entrySet()) {
                Speaker s = e.getValue().speaker;
                if (s.speaking() && s.level > best) {
                    best = s.level;
                    loudest = e.getKey();
                }
            }
            if (loudest == null || loudest.equals(activeSpeaker)) {
                candidate = null;
                candidateFrames = 0;
                return;
            }
            Timeline current = activeSpeaker == null ? null : timelines.get(activeSpeaker);
            boolean clearlyLouder = current == null || !current.speaker.speaking()
                    || best > current.speaker.level * 2.0; // +6 dB
            if (!clearlyLouder) return;
            if (!loudest.equals(candidate)) {
                candidate = loudest;
                candidateFrames = 0;
            }
            if (++candidateFrames >= (activeSpeaker == null ? 5 : 20)) { // 100 ms to the first, 400 ms to switch
                activeSpeaker = loudest;
                candidate = null;
                candidateFrames = 0;
                announce(loudest);
            }
        }

        void announce(String participantId) {
            Room room;
            try {
                room = rooms.room(roomId);
            } catch (RuntimeException e) {
                return;
            }
            events.emit(room, "speaker-changed", new JsonObject().put("roomId", roomId).put("sessionId", sessionId)
                    .put("participantId", participantId).put("at", position * 1000 / RATE));
        }
    }

    /** Smoothed level of one participant and whether they are speaking (with hangover). */
    private static final class Speaker {
        static final double SPEECH_RMS = 32768 * Math.pow(10, -40 / 20.0); // -40 dBFS
        double level;
        int quietFrames = Integer.MAX_VALUE / 2;

        void frame(double rms) {
            level = level * 0.8 + rms * 0.2;
            quietFrames = rms > SPEECH_RMS ? 0 : quietFrames + 1;
        }

        boolean speaking() {
            return quietFrames < 25; // heard within the last 500 ms
        }
    }

    /** Soft limiter: linear below half scale, then a smooth knee that never reaches full scale. */
    static short limit(float x) {
        float a = Math.abs(x);
        if (a <= 16384f) return (short) x;
        float over = (a - 16384f) / 16384f;
        float y = 16384f + 16383f * (float) Math.tanh(over);
        return (short) (x < 0 ? -y : y);
    }
}
