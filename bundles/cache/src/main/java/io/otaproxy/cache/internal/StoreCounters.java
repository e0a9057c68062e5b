package io.otaproxy.cache.internal;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

import io.otaproxy.api.stats.ErrorRecord;

/** A store's failure counters and its last few errors, for the admin endpoint. Failures are rare: a lock will do. */
final class StoreCounters {

    static final int RECENT_ERRORS = 20;

    private final LongAdder integrityFailures = new LongAdder();
    private final LongAdder upstreamFailures = new LongAdder();
    private final ArrayDeque<ErrorRecord> recent = new ArrayDeque<>(RECENT_ERRORS);

    void integrityFailure(final String key, final String detail) {
        integrityFailures.increment();
        error("download of " + key + " refused: " + detail);
    }

    void upstreamFailure(final String key, final String detail) {
        upstreamFailures.increment();
        error("download of " + key + " failed: " + detail);
    }

    synchronized void error(final String message) {
        if (recent.size() == RECENT_ERRORS) {
            recent.removeFirst();
        }
        recent.addLast(new ErrorRecord(System.currentTimeMillis(), message));
    }

    long integrityFailures() {
        return integrityFailures.sum();
    }

    long upstreamFailures() {
        return upstreamFailures.sum();
    }

    /** Oldest first. */
    synchronized List<ErrorRecord> recentErrors() {
        return List.copyOf(recent);
    }
}
