package io.roomcast.storage;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Every byte Roomcast keeps goes through here: the AWS SDK v2 async client against the configured
 * endpoint (the embedded store by default). Results come back as Vert.x futures on the caller's
 * context, so API handlers never block.
 */
public final class ObjectStore implements AutoCloseable {

    private final Vertx vertx;
    /** Part size of multipart uploads (S3's minimum is 5 MiB). */
    public static final long PART_BYTES = 8L << 20;
    private final S3AsyncClient s3;
    private final S3Presigner presigner;
    private final String bucket;
    private final Duration presignTtl;

    public ObjectStore(Vertx vertx, URI endpoint, String region, String accessKey, String secretKey, String bucket,
                       boolean pathStyle, Duration presignTtl) {
        this.vertx = vertx;
        this.bucket = bucket;
        this.presignTtl = presignTtl;
        StaticCredentialsProvider credentials =
                StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey));
        S3Configuration s3Config = S3Configuration.builder().pathStyleAccessEnabled(pathStyle).build();
        this.s3 = S3AsyncClient.builder()
                .endpointOverride(endpoint)
                .region(Region.of(region))
                .credentialsProvider(credentials)
                .serviceConfiguration(s3Config)
                // S3-compatible servers (MinIO, R2, s3proxy) do not all accept the SDK's default CRC trailers.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .build();
        this.presigner = S3Presigner.builder()
                .endpointOverride(endpoint)
                .region(Region.of(region))
                .credentialsProvider(credentials)
                .serviceConfiguration(s3Config)
                .build();
    }

    public String bucket() {
        return bucket;
    }

    private <T> Future<T> wrap(CompletableFuture<T> cf) {
        return Future.fromCompletionStage(cf, vertx.getOrCreateContext())
                .recover(t -> Future.failedFuture(t instanceof CompletionException && t.getCause() != null ? t.getCause() : t));
    }

    /** Creates the bucket when it is missing (an outside MinIO starts empty). */
    public Future<Void> ensureBucket() {
        return wrap(s3.headBucket(b -> b.bucket(bucket))).<Void>mapEmpty().recover(t -> {
            if (t instanceof NoSuchBucketException || t instanceof S3Exception e && e.statusCode() == 404) {
                return wrap(s3.createBucket(b -> b.bucket(bucket))).mapEmpty();
            }
            return Future.failedFuture(t);
        });
    }

    /** A cheap round trip, for readiness. */
    public Future<Void> ping() {
        return wrap(s3.headBucket(b -> b.bucket(bucket))).mapEmpty();
    }

    public Future<Void> put(String key, Buffer bytes, String contentType) {
        PutObjectRequest req = PutObjectRequest.builder().bucket(bucket).key(key).contentType(contentType).build();
        return wrap(s3.putObject(req, AsyncRequestBody.fromBytes(bytes.getBytes()))).mapEmpty();
    }

    public Future<Void> putJson(String key, JsonObject json) {
        return put(key, json.toBuffer(), "application/json");
    }

    /** The object's bytes, or null when there is no such key. */
    public Future<Buffer> get(String key) {
        GetObjectRequest req = GetObjectRequest.builder().bucket(bucket).key(key).build();
        return wrap(s3.getObject(req, AsyncResponseTransformer.toBytes()))
                .map(r -> Buffer.buffer(r.asByteArray()))
                .recover(t -> t instanceof NoSuchKeyException ? Future.succeededFuture(null) : Future.failedFuture(t));
    }

    public Future<JsonObject> getJson(String key) {
        return get(key).map(b -> b == null ? null : new JsonObject(b));
    }

    /** Every key under {@code prefix}, following continuation tokens. */
    public Future<List<String>> listKeys(String prefix) {
        List<String> keys = new ArrayList<>();
        return listPage(prefix, null, keys).map(v -> keys);
    }

    private Future<Void> listPage(String prefix, String token, List<String> into) {
        ListObjectsV2Request req = ListObjectsV2Request.builder()
                .bucket(bucket).prefix(prefix).continuationToken(token).build();
        return wrap(s3.listObjectsV2(req)).compose((ListObjectsV2Response r) -> {
            for (S3Object o : r.contents()) into.add(o.key());
            return Boolean.TRUE.equals(r.isTruncated())
                    ? listPage(prefix, r.nextContinuationToken(), into)
                    : Future.succeededFuture();
        });
    }

    public Future<Void> delete(String key) {
        return wrap(s3.deleteObject(b -> b.bucket(bucket).key(key))).mapEmpty();
    }

    /**
     * Uploads a file: one PUT when small, else a multipart upload in {@value #PART_BYTES}-byte parts
     * read one at a time (a long recording never sits in memory), aborted when a part fails so no
     * incomplete upload is left behind. Blocks the calling thread: never call it on an event loop.
     */
    public void putFile(String key, Path file, String contentType) throws IOException {
        long size = Files.size(file);
        if (size <= PART_BYTES) {
            put(key, Buffer.buffer(Files.readAllBytes(file)), contentType).await();
            return;
        }
        String uploadId = wrap(s3.createMultipartUpload(b -> b.bucket(bucket).key(key).contentType(contentType)))
                .await().uploadId();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            List<CompletedPart> parts = new ArrayList<>();
            ByteBuffer buf = ByteBuffer.allocate((int) PART_BYTES);
            for (int n = 1; ch.position() < size; n++) {
                buf.clear();
                while (buf.hasRemaining() && ch.read(buf) > 0) {
                    // fill the part
                }
                buf.flip();
                byte[] bytes = new byte[buf.remaining()];
                buf.get(bytes);
                int number = n;
                String etag = wrap(s3.uploadPart(b -> b.bucket(bucket).key(key).uploadId(uploadId).partNumber(number),
                        AsyncRequestBody.fromBytes(bytes))).await().eTag();
                parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
            }
            wrap(s3.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId)
                    .multipartUpload(m -> m.parts(parts)))).await();
        } catch (IOException | RuntimeException e) {
            wrap(s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId)));
            throw e;
        }
    }

    /** Aborts every incomplete multipart upload under {@code prefix}; the number aborted. */
    public Future<Integer> abortIncompleteUploads(String prefix) {
        return wrap(s3.listMultipartUploads(b -> b.bucket(bucket).prefix(prefix))).compose(r -> {
            List<Future<Object>> aborts = new ArrayList<>();
            for (MultipartUpload u : r.uploads()) {
                aborts.add(wrap(s3.abortMultipartUpload(b -> b.bucket(bucket).key(u.key()).uploadId(u.uploadId())))
                        .map(x -> (Object) x));
            }
            return Future.all(aborts).map(x -> aborts.size());
        });
    }

    /** A time-limited GET URL for the object; computed locally, no round trip. */
    public String presignGet(String key) {
        return presigner.presignGetObject(p -> p.signatureDuration(presignTtl)
                .getObjectRequest(g -> g.bucket(bucket).key(key))).url().toString();
    }

    @Override
    public void close() {
        presigner.close();
        s3.close();
    }
}
