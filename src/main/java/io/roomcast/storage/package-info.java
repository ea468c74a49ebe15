/**
 * The object store: the AWS SDK client behind Vert.x futures, the embedded S3 server used by
 * default, and {@code Persister} (in-order write-through of manifests). Asynchronous; callers block
 * only off the event loop.
 */
package io.roomcast.storage;
