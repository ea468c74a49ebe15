/**
 * Mixing on the session's media thread: the room's audio mix and active speaker, the tile layout
 * and the compositor that draws the participants' pictures onto one canvas.
 */
package io.roomcast.mix;
