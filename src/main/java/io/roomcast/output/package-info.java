/**
 * Outputs of every kind: the registry, limits, launch and stop ({@code Outputs}), the typed status
 * ({@code OutputStatus}) and manifests ({@code Manifest}, {@code ManifestStore}), and the base class
 * each kind extends. Outputs run on their own threads; start and end come from the event loop.
 */
package io.roomcast.output;
