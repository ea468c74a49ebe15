package io.roomcast.output.livestream;

import io.roomcast.encode.Muxer;
import io.roomcast.encode.OutputConfig;
import io.roomcast.encode.Packet;
import io.roomcast.outbound.OutboundPolicy;
import io.roomcast.output.Output;
import io.roomcast.output.OutputStatus;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * One RTMP destination: FLV pushed over rtmp:// or rtmps://. When the server drops the connection
 * the push goes to {@code reconnecting}, retries with exponential back-off (1 s doubling to 30 s),
 * and resumes on the next keyframe (asked of the encoder), while the other outputs go on untouched.
 * A destination that never connects fails after {@code firstConnectTimeoutMs}.
 */
final class RtmpPush extends Output {
    private static final Logger LOG = Logger.getLogger(RtmpPush.class.getName());
    private static final long MAX_BACKOFF_MS = 30_000;

    final String livestreamId;
    final String url;
    private final long firstConnectTimeoutMs;
    private final long createdAt = System.currentTimeMillis();
    private Muxer muxer;
    private long nextAttemptAt;
    private long backoffMs = 1000;
    private boolean everStarted;
    private boolean keyRequested;
    final AtomicLong reconnects = new AtomicLong();
    private final OutboundPolicy outbound;
    volatile String lastError;

    RtmpPush(String id, String livestreamId, String roomId, String sessionId, OutputConfig config, Listener listener,
             String url, long firstConnectTimeoutMs, OutboundPolicy outbound) {
        super("rtmp", id, roomId, sessionId, config, listener);
        this.livestreamId = livestreamId;
        this.url = url;
        this.outbound = outbound;
        this.firstConnectTimeoutMs = firstConnectTimeoutMs;
    }

    @Override
    public String kind() {
        return "rtmp";
    }

    @Override
    protected void onPacket(Packet p) {
        if (finished()) return;
        long now = System.currentTimeMillis();
        if (muxer == null) {
            if (now < nextAttemptAt) return;
            if (streams.hasVideo() && !(p.video() && p.key())) {
                if (!keyRequested) {
                    group.requestKeyframe();
                    keyRequested = true;
                }
                return;
            }
            keyRequested = false;
            String dial;
            try {
                dial = checkedUrl();
            } catch (IllegalStateException refused) {
                fail("refused to connect: " + refused.getMessage());
                return;
            }
            try {
                muxer = new Muxer("flv", dial, streams, Map.of("rw_timeout", "5000000", "flvflags", "no_duration_filesize"), p.micros());
            } catch (IOException e) {
                dropped(now, e);
                return;
            }
            if (everStarted) reconnects.incrementAndGet();
            everStarted = true;
            backoffMs = 1000;
            setStatus(OutputStatus.STARTED, null);
        }
        try {
            muxer.write(p);
        } catch (IOException e) {
            dropped(now, e);
        }
    }

    /**
     * The URL to dial, its host resolved and checked by the outbound policy at every (re)connect. A
     * plain rtmp:// URL is dialled at the checked address itself; rtmps:// keeps the name for TLS,
     * so FFmpeg resolves it again (a rebinding window the issue notes).
     */
    private String checkedUrl() {
        URI uri = URI.create(url);
        InetAddress ip = outbound.resolve(uri.getHost());
        if (!"rtmp".equalsIgnoreCase(uri.getScheme()) || uri.getHost().startsWith("[")) return url;
        String literal = ip.getAddress().length == 16 ? "[" + ip.getHostAddress() + "]" : ip.getHostAddress();
        return url.replaceFirst("(?i)^rtmp://[^/:]+", "rtmp://" + literal);
    }

    private void dropped(long now, IOException e) {
        lastError = e.getMessage();
        closeQuietly();
        nextAttemptAt = now + backoffMs;
        backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
        if (!everStarted && now - createdAt > firstConnectTimeoutMs) {
            fail("could not connect to " + Muxer.redact(url) + ": " + e.getMessage());
            return;
        }
        LOG.info(() -> "RTMP push " + id + " to " + Muxer.redact(url) + " dropped (" + e.getMessage() + "); retrying in " + backoffMs / 2 + " ms");
        setStatus(everStarted ? OutputStatus.RECONNECTING : OutputStatus.STARTING, e.getMessage());
    }

    private void closeQuietly() {
        if (muxer == null) return;
        try {
            muxer.close();
        } catch (IOException ignored) {
            // the connection is already gone
        }
        muxer = null;
    }

    @Override
    protected void finish() {
        if (muxer != null) {
            try {
                muxer.close();
            } catch (IOException e) {
                LOG.info(() -> "RTMP push " + id + " ended with " + e.getMessage());
            }
            muxer = null;
        }
        if (status() != OutputStatus.FAILED) setStatus(OutputStatus.STOPPED, null);
    }

    @Override
    public JsonObject toJson() {
        return super.toJson().put("url", Muxer.redact(url)).put("reconnects", reconnects.get()).put("lastError", lastError);
    }
}
