/**
 * Several nodes as one: membership and the shared room map ({@code Cluster}), where a new session
 * runs ({@code Placement}) and the rooms of a lost node ({@code Takeover}). Hazelcast calls block, so
 * they run on plain threads of their own.
 */
package io.roomcast.cluster;
