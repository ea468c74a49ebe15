/**
 * Refusals in domain words ({@link Refusal}): thrown by any stage on any thread,
 * turned into HTTP statuses by {@code api/} alone.
 */
package io.roomcast.errors;
