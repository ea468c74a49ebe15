/**
 * Outbound connections to destinations users name (webhooks, RTMP pushes, preSignedUrl uploads):
 * which addresses may be dialled, and the checked address to dial.
 */
package io.roomcast.outbound;
