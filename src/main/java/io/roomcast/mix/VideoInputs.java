package io.roomcast.mix;

import org.bytedeco.ffmpeg.avutil.AVFrame;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

import static org.bytedeco.ffmpeg.global.avutil.av_frame_clone;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;

/**
 * The recent decoded pictures of each feed of one session, kept as references (no copy) with their
 * session-clock times, so compositors can pick the picture that was on screen at any instant of the
 * last moments. Confined to the room's media thread; every reference is freed exactly once, by
 * {@link #prune} or {@link #close}.
 */
public final class VideoInputs implements AutoCloseable {
    private static final int MAX_PER_FEED = 12; // about half a second at 25 fps

    private record Entry(long micros, AVFrame frame) {
    }

    private final Map<String, ArrayDeque<Entry>> feeds = new HashMap<>();

    public void add(String feedKey, long micros, AVFrame borrowed) {
        AVFrame ref = av_frame_clone(borrowed);
        if (ref == null || ref.isNull()) return;
        ArrayDeque<Entry> q = feeds.computeIfAbsent(feedKey, k -> new ArrayDeque<>());
        Entry last = q.peekLast();
        if (last != null && micros <= last.micros) { // out of order or a repeated time: keep the newest
            av_frame_free(q.pollLast().frame);
        }
        q.addLast(new Entry(micros, ref));
        while (q.size() > MAX_PER_FEED) av_frame_free(q.pollFirst().frame);
    }

    /**
     * The picture shown at {@code micros}: the one nearest to it, at most {@code aheadMicros} later
     * (half an output frame: an input frame belongs to the output frame closest in time, which keeps
     * pictures within half a frame of their sound), and not older than {@code maxAgeMicros}.
     */
    public AVFrame at(String feedKey, long micros, long aheadMicros, long maxAgeMicros) {
        ArrayDeque<Entry> q = feeds.get(feedKey);
        if (q == null) return null;
        Entry best = null;
        for (Entry e : q) {
            if (e.micros > micros + aheadMicros) break;
            if (best == null || Math.abs(e.micros - micros) <= Math.abs(best.micros - micros)) best = e;
        }
        if (best == null || micros - best.micros > maxAgeMicros) return null;
        return best.frame;
    }

    /** Frees pictures that no instant at or after {@code micros} can show any more. */
    public void prune(long micros) {
        for (Iterator<ArrayDeque<Entry>> it = feeds.values().iterator(); it.hasNext(); ) {
            ArrayDeque<Entry> q = it.next();
            while (q.size() > 2) {
                Iterator<Entry> i = q.iterator();
                i.next();
                Entry second = i.next();
                if (second.micros > micros) break;
                av_frame_free(q.pollFirst().frame);
            }
        }
    }

    /** Drops a feed (its track went away). */
    public void remove(String feedKey) {
        ArrayDeque<Entry> q = feeds.remove(feedKey);
        if (q != null) for (Entry e : q) av_frame_free(e.frame);
    }

    @Override
    public void close() {
        for (ArrayDeque<Entry> q : feeds.values()) for (Entry e : q) av_frame_free(e.frame);
        feeds.clear();
    }
}
