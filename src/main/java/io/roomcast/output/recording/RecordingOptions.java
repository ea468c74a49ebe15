package io.roomcast.output.recording;

/**
 * What a recording start asks beside the composition: its own webhook, a folder in the bucket, a
 * transcript after the call, and VideoSDK's {@code preSignedUrl} (the finished file is also PUT
 * there). Any may be null or false.
 */
public record RecordingOptions(String webhookUrl, String awsDirPath, boolean transcribe, String preSignedUrl) {
}
