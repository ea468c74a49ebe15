/**
 * HLS: segments and playlists written live (the pure writer is {@code HlsPlaylists}), uploaded to
 * the store, served back through the API, and closed as a VOD at the end or after a crash. Each
 * stream segments on its own thread.
 */
package io.roomcast.output.hls;
