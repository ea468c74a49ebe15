/**
 * Encode once: the validated output plan ({@code OutputConfig}, {@code Presets}), one H.264 + AAC
 * encoder pair per distinct plan on its own encoder thread, and the muxers that write what it
 * encodes. Depends on nothing else of Roomcast.
 */
package io.roomcast.encode;
