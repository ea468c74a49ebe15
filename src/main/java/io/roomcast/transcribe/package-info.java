/**
 * Speech to text with Vosk: live captions per participant on the recognition threads (one owner per
 * recognizer), and post-call transcripts of recordings or sessions on a bounded job pool.
 */
package io.roomcast.transcribe;
