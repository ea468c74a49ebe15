package io.roomcast.messages;

/** The bounds on messages, from config {@code messages.*}. */
public record MessageLimits(int maxTopicChars, int maxMessageChars, int maxPayloadBytes, double perSenderPerSecond,
                            int maxPersistedPerSession, int maxPollOptions) {
}
