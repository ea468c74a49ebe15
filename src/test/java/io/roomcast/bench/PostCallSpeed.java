package io.roomcast.bench;

import io.roomcast.support.Api;
import io.vertx.core.json.JsonObject;

/**
 * Post-call transcription speed on a bench room's recording: the job is queued once the call has
 * ended (nothing else runs then) and timed by the node itself ({@code processingSeconds}, model
 * already loaded by the live captions); speed is the call's length over that.
 */
final class PostCallSpeed {
    private PostCallSpeed() {
    }

    static JsonObject measure(Api api, String recordingId, double callSeconds) throws InterruptedException {
        Api.Response queued = api.post("/v2/transcriptions", new JsonObject().put("recordingId", recordingId));
        if (queued.status() != 200) throw new AssertionError("post-call transcription refused: " + queued.body());
        String path = "/v2/transcriptions/" + queued.json().getString("id");
        long deadline = System.currentTimeMillis() + 600_000;
        JsonObject job = queued.json();
        while (System.currentTimeMillis() < deadline) {
            job = api.get(path).json();
            String status = job.getString("status");
            if ("completed".equals(status) || "failed".equals(status)) break;
            Thread.sleep(250);
        }
        if (!"completed".equals(job.getString("status"))) throw new AssertionError("post-call transcription: " + job.encode());
        double seconds = job.getDouble("processingSeconds");
        return new JsonObject().put("callSeconds", IngestBench.round(callSeconds))
                .put("audioSeconds", job.getDouble("audioSeconds"))
                .put("recognizedSeconds", job.getDouble("recognizedSeconds"))
                .put("processingSeconds", seconds)
                .put("segments", job.getInteger("segments"))
                .put("timesRealTime", IngestBench.round(callSeconds / seconds));
    }
}
