package io.roomcast.output.recording;

import io.roomcast.outbound.OutboundPolicy;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.logging.Logger;

/**
 * The finished file PUT to the URL a recording start gave as {@code preSignedUrl} (VideoSDK's
 * destination: a URL the user presigned on their own bucket), once its host passed the outbound
 * policy (Java's HTTP client then resolves it again: not pinned like webhooks). On the recording's own thread,
 * after the file is in Roomcast's store; a failure is reported in the file's JSON, never loses
 * the stored file.
 */
final class PreSignedUpload {
    private static final Logger LOG = Logger.getLogger(PreSignedUpload.class.getName());
    private static final Duration TIMEOUT = Duration.ofMinutes(10);

    enum Status {
        UPLOADED, FAILED;

        String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    record Result(Status status, int httpStatus, String error) {
        JsonObject toJson() {
            return new JsonObject().put("status", status.wire()).put("httpStatus", httpStatus == 0 ? null : httpStatus)
                    .put("error", error);
        }
    }

    private PreSignedUpload() {
    }

    static Result put(String url, Path file, String contentType, OutboundPolicy outbound) {
        try {
            outbound.resolve(URI.create(url).getHost());
        } catch (IllegalStateException refused) {
            return new Result(Status.FAILED, 0, "refused: " + refused.getMessage());
        }
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT)
                    .header("Content-Type", contentType).PUT(HttpRequest.BodyPublishers.ofFile(file)).build();
            int status = client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
            if (status / 100 == 2) return new Result(Status.UPLOADED, status, null);
            return new Result(Status.FAILED, status, "the URL answered HTTP " + status);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(Status.FAILED, 0, "interrupted");
        } catch (Exception e) {
            LOG.warning(() -> "upload to the preSignedUrl failed: " + e);
            return new Result(Status.FAILED, 0, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }
}
