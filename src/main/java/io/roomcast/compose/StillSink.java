package io.roomcast.compose;

/**
 * An output that keeps stills of its composite now and then (thumbnails). The composition takes a
 * still from a picture it composed anyway, when one is due: no second compositor or encoder.
 */
public interface StillSink {
    /** Session time (µs) from which the next still is wanted. */
    long nextStillMicros();

    /** Width of the stills; the height follows the picture's aspect. */
    int stillWidth();

    /** A still (on the media thread): must not block; the JPEG is made elsewhere. */
    void still(Still still);
}
