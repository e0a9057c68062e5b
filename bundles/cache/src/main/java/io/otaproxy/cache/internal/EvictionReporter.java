package io.otaproxy.cache.internal;

import java.util.List;
import java.util.function.Predicate;

import io.otaproxy.api.eviction.EvictionPolicy;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the eviction policy in use (if any) informed, and is the one way to ask it for victims. Adds and removes
 * are serialized with the replay of the index into a newly chosen policy, so a removal racing the replay cannot
 * leave a ghost entry behind in the policy. Accesses are not: they come in batches from the access flusher, and
 * the replay reads each entry's last access from the entry itself, so none is lost.
 */
final class EvictionReporter {

    private static final Logger LOG = LoggerFactory.getLogger(EvictionReporter.class);

    private volatile EvictionPolicy policy;
    private volatile boolean warned;

    /**
     * Switches to {@code next} (or none): the policy left is told that every entry was removed, so it frees what
     * it held, and {@code next} is told about every entry with its size and last access before it is asked for
     * anything. No restart, no lost order: the last access times come from the journal.
     */
    synchronized void use(final EvictionPolicy next, final Iterable<StoredEntry> index) {
        final EvictionPolicy previous = policy;
        if (previous == next) {
            return;
        }
        policy = next;
        if (previous != null) {
            for (final StoredEntry e : index) {
                removed(previous, e.key());
            }
        }
        if (next == null) {
            return;
        }
        final long t0 = System.nanoTime();
        int n = 0;
        for (final StoredEntry e : index) {
            added(next, e);
            n++;
        }
        LOG.info("Eviction policy {} told about {} cache entries in {} ms", safeName(next), n,
                (System.nanoTime() - t0) / 1_000_000);
    }

    /** The policy in use, or null. */
    EvictionPolicy current() {
        return policy;
    }

    /** Asks {@code p} for victims; a failing policy proposes none. Maintenance thread only. */
    List<String> victims(final EvictionPolicy p, final long bytesToFree, final Predicate<String> pinned) {
        try {
            return p.victims(bytesToFree, pinned);
        } catch (final RuntimeException e) {
            policyFailed(e);
            return List.of();
        }
    }

    synchronized void added(final StoredEntry entry) {
        final EvictionPolicy p = policy;
        if (p != null) {
            added(p, entry);
        }
    }

    synchronized void removed(final String key) {
        final EvictionPolicy p = policy;
        if (p != null) {
            removed(p, key);
        }
    }

    void accessed(final String key, final long accessMillis) {
        final EvictionPolicy p = policy;
        if (p != null) {
            try {
                p.accessed(key, accessMillis);
            } catch (final RuntimeException e) {
                policyFailed(e);
            }
        }
    }

    private void added(final EvictionPolicy p, final StoredEntry e) {
        try {
            p.added(e.key(), e.meta().length(), e.lastAccessMillis());
        } catch (final RuntimeException ex) {
            policyFailed(ex);
        }
    }

    private void removed(final EvictionPolicy p, final String key) {
        try {
            p.removed(key);
        } catch (final RuntimeException e) {
            policyFailed(e);
        }
    }

    private void policyFailed(final RuntimeException e) {
        // a broken policy must not break caching; say so once
        if (!warned) {
            warned = true;
            LOG.warn("Eviction policy failed: {}", e.toString(), e);
        }
    }

    static String safeName(final EvictionPolicy p) {
        try {
            return p.name();
        } catch (final RuntimeException e) {
            return p.getClass().getName();
        }
    }
}
