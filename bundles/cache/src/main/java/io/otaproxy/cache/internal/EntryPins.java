package io.otaproxy.cache.internal;

import java.util.concurrent.ConcurrentHashMap;

/**
 * How many readers hold each key right now: open channels of complete entries and readers of fills. Eviction
 * skips a pinned key, so the space it frees is space the file system really gets back (an unlinked file that is
 * still open keeps its blocks until the last reader closes it) and an entry being served is not the one to go.
 *
 * <p>Correctness does not rest on the pins alone: a reader that opens an entry in the instant its eviction is
 * decided still reads the whole body, because on POSIX an unlinked file stays readable through an open descriptor.
 * The pins make that race rare and keep eviction from working against itself.
 */
final class EntryPins {

    private final ConcurrentHashMap<String, Integer> counts = new ConcurrentHashMap<>();

    void pin(final String key) {
        counts.merge(key, 1, Integer::sum);
    }

    void unpin(final String key) {
        counts.computeIfPresent(key, (k, n) -> n == 1 ? null : n - 1);
    }

    boolean isPinned(final String key) {
        return counts.containsKey(key);
    }

    /** Readers holding {@code key}; for tests. */
    int count(final String key) {
        return counts.getOrDefault(key, 0);
    }
}
