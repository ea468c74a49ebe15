/**
 * RTMP simulcast: one push per destination with reconnects, started and ended through the API. Each
 * push connects and writes on its own thread.
 */
package io.roomcast.output.livestream;
