package io.otaproxy.api.stats;

import java.util.Objects;

/** One error an operator may want to see: when, and what happened. Immutable. */
public final class ErrorRecord {

    private final long atMillis;
    private final String message;

    public ErrorRecord(final long atMillis, final String message) {
        this.atMillis = atMillis;
        this.message = Objects.requireNonNull(message, "message");
    }

    /** Wall-clock time in milliseconds since the epoch. */
    public long atMillis() {
        return atMillis;
    }

    public String message() {
        return message;
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof ErrorRecord e && atMillis == e.atMillis && message.equals(e.message);
    }

    @Override
    public int hashCode() {
        return Objects.hash(atMillis, message);
    }

    @Override
    public String toString() {
        return atMillis + " " + message;
    }
}
