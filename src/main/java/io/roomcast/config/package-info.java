/**
 * The configuration: defaults with their types (the schema), an optional file and environment
 * overrides, checked once at start. Read on the start-up thread only.
 */
package io.roomcast.config;
