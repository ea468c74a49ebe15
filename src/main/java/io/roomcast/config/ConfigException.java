package io.roomcast.config;

/** A configuration problem; its message names the bad key and is meant for the operator. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
