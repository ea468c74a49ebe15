/**
 * One Roomcast node: {@code Main} reads the command line and the config, {@code Roomcast} wires the
 * stages in the order of DESIGN.md's flow (ingest, mix, compose, encode, output, transcribe, api) and
 * {@code NodeSettings} reads the config into each stage's typed settings. Start-up and stop run on a
 * plain thread, never on the event loop.
 */
package io.roomcast;
