package io.otaproxy.proxy.internal;

import java.util.ArrayDeque;
import java.util.List;

import io.otaproxy.api.stats.ErrorRecord;

/** The last few errors, for the status page; older ones fall off. Errors are rare, so a lock is cheap enough. */
final class RecentErrors {

    private final int capacity;
    private final ArrayDeque<ErrorRecord> errors;

    RecentErrors(final int capacity) {
        this.capacity = capacity;
        this.errors = new ArrayDeque<>(capacity);
    }

    synchronized void add(final long atMillis, final String message) {
        if (errors.size() == capacity) {
            errors.removeFirst();
        }
        errors.addLast(new ErrorRecord(atMillis, message));
    }

    /** Oldest first. */
    synchronized List<ErrorRecord> list() {
        return List.copyOf(errors);
    }
}
