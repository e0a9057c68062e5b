package io.otaproxy.api.stats;

import java.util.Objects;

/** A snapshot of one download into the cache. Immutable. */
public final class FillProgress {

    private final String key;
    private final String state;
    private final long bytesReceived;
    private final long expectedBytes;
    private final int readers;
    private final long startedAtMillis;

    /**
     * @param key             the cache key
     * @param state           {@code waiting} (for upstream's answer), {@code downloading}, {@code relaying} (no
     *                        longer written to disk) or {@code committing}
     * @param bytesReceived   bytes of the body received from upstream so far
     * @param expectedBytes   the body length upstream announced, or -1 when unknown
     * @param readers         clients reading the download now
     * @param startedAtMillis wall-clock time the download was opened
     */
    public FillProgress(final String key, final String state, final long bytesReceived, final long expectedBytes,
            final int readers, final long startedAtMillis) {
        this.key = Objects.requireNonNull(key, "key");
        this.state = Objects.requireNonNull(state, "state");
        this.bytesReceived = bytesReceived;
        this.expectedBytes = expectedBytes;
        this.readers = readers;
        this.startedAtMillis = startedAtMillis;
    }

    public String key() {
        return key;
    }

    public String state() {
        return state;
    }

    public long bytesReceived() {
        return bytesReceived;
    }

    public long expectedBytes() {
        return expectedBytes;
    }

    public int readers() {
        return readers;
    }

    public long startedAtMillis() {
        return startedAtMillis;
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof FillProgress f && key.equals(f.key) && state.equals(f.state)
                && bytesReceived == f.bytesReceived && expectedBytes == f.expectedBytes && readers == f.readers
                && startedAtMillis == f.startedAtMillis;
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, state, bytesReceived, expectedBytes, readers, startedAtMillis);
    }

    @Override
    public String toString() {
        return key + " " + state + " " + bytesReceived + "/" + (expectedBytes < 0 ? "?" : expectedBytes)
                + " bytes, " + readers + " readers";
    }
}
