/**
 * Cloud recording: the MP4 written in uploaded parts while the session runs, finalized once
 * ({@code Finalizer}) at the end or, after a crash, from the parts ({@code RecordingRecovery}). Each
 * recording writes and uploads on its own thread.
 */
package io.roomcast.output.recording;
