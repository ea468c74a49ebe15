package io.roomcast.ingest;

import java.util.Locale;

/**
 * Whether a video sender answers keyframe requests (PLI/FIR), as measured on its track. Only a track
 * that has answered is left undecoded while no output shows it: for the others a picture must be ready
 * the moment an output starts, since asking for one may never reach anybody (an SFU forwarding
 * without an RTCP path, a sender that ignores feedback).
 */
public enum KeyframeResponse {
    /** Not asked yet, or the answer is still awaited. */
    UNKNOWN,
    /** The last request was answered by a keyframe within the answer window. */
    ANSWERED,
    /** The last request was not answered within the window. */
    UNANSWERED;

    public String json() {
        return name().toLowerCase(Locale.ROOT);
    }
}
