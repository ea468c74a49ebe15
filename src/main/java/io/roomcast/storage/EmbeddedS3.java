package io.roomcast.storage;

import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The single-machine default object store: s3proxy in-process, on loopback, keeping objects under
 * {@code dataDir/s3}. It is a real S3 server spoken to over HTTP with signed requests, so code that
 * works against it works against MinIO, R2 or AWS.
 */
public final class EmbeddedS3 implements AutoCloseable {

    private final S3Proxy proxy;
    private final FilesystemNio2BlobStore blobStore;
    private final String host;
    private boolean stopped;

    private EmbeddedS3(S3Proxy proxy, FilesystemNio2BlobStore blobStore, String host) {
        this.proxy = proxy;
        this.blobStore = blobStore;
        this.host = host;
    }

    /** Starts the store and creates {@code bucket} if it is missing. Blocking: call off the event loop. */
    public static EmbeddedS3 start(Path baseDir, String host, int port, String accessKey, String secretKey,
                                   String bucket) throws Exception {
        Files.createDirectories(baseDir);
        FilesystemNio2BlobStore store = new FilesystemNio2BlobStore(baseDir.toString());
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(store)
                .endpoint(URI.create("http://" + host + ":" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
                .build();
        try {
            proxy.start();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!"STARTED".equals(proxy.getState())) {
                if (System.nanoTime() > deadline) throw new IOException("embedded S3 did not start: " + proxy.getState());
                Thread.sleep(10);
            }
            if (!store.containerExists(bucket)) {
                store.createContainer(bucket);
            }
        } catch (Exception e) {
            try {
                proxy.stop();
            } catch (Exception ignored) {
                // already failing; the first error is the one to report
            }
            store.close();
            throw e;
        }
        return new EmbeddedS3(proxy, store, host);
    }

    public URI endpoint() {
        return URI.create("http://" + host + ":" + proxy.getPort());
    }

    public int port() {
        return proxy.getPort();
    }

    @Override
    public synchronized void close() throws Exception {
        if (stopped) return;
        stopped = true;
        try {
            proxy.stop();
        } finally {
            blobStore.close();
        }
    }
}
