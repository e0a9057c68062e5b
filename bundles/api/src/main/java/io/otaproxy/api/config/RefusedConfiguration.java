package io.otaproxy.api.config;

import java.util.Arrays;
import java.util.Objects;

/**
 * A configuration a component refused: the PID, the first property found invalid, its value as written, and why.
 * Registered as a service (under this class) by the refusing bundle for as long as the refusal stands. Immutable.
 */
public final class RefusedConfiguration {

    private final String pid;
    private final String key;
    private final String value;
    private final String reason;
    private final long atMillis;

    /**
     * @param value the value as found in the configuration; rendered as text (arrays item by item, null as
     *              {@code (none)})
     */
    public RefusedConfiguration(final String pid, final String key, final Object value, final String reason,
            final long atMillis) {
        this.pid = Objects.requireNonNull(pid, "pid");
        this.key = Objects.requireNonNull(key, "key");
        this.value = render(value);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.atMillis = atMillis;
    }

    public String pid() {
        return pid;
    }

    public String key() {
        return key;
    }

    /** The refused value as text. */
    public String value() {
        return value;
    }

    /** What a valid value looks like, or why this one cannot be used. */
    public String reason() {
        return reason;
    }

    /** Wall-clock time of the refusal in milliseconds since the epoch. */
    public long atMillis() {
        return atMillis;
    }

    private static String render(final Object value) {
        if (value == null) {
            return "(none)";
        }
        if (value instanceof Object[] array) {
            return Arrays.deepToString(array);
        }
        return String.valueOf(value);
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof RefusedConfiguration r && pid.equals(r.pid) && key.equals(r.key)
                && value.equals(r.value) && reason.equals(r.reason) && atMillis == r.atMillis;
    }

    @Override
    public int hashCode() {
        return Objects.hash(pid, key, value, reason, atMillis);
    }

    /** The line a component logs: PID, key, value and reason. */
    @Override
    public String toString() {
        return pid + ": " + key + " = " + value + " refused: " + reason;
    }
}
