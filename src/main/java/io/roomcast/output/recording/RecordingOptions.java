package io.roomcast.output.recording;

import io.roomcast.output.Thumbnails;

/**
 * What a recording start asks beside the composition: its own webhook, a folder in the bucket, a
 * transcript after the call, VideoSDK's {@code preSignedUrl} (the finished file is also PUT
 * there) and thumbnails. Any may be null or false.
 */
public record RecordingOptions(String webhookUrl, String awsDirPath, boolean transcribe, String preSignedUrl,
                               Thumbnails.Options thumbnails) {
}
