package io.otaproxy.cache.internal;

import io.otaproxy.api.eviction.EvictionPolicy;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the eviction policy (if any) informed. Adds and removes are serialized with the replay of the index into a
 * newly bound policy, so a removal racing the replay cannot leave a ghost entry behind in the policy. Accesses
 * are not: they come in batches from the access flusher and a stale access is ignored by the policy.
 */
final class EvictionReporter {

    private static final Logger LOG = LoggerFactory.getLogger(EvictionReporter.class);

    private volatile EvictionPolicy policy;
    private volatile boolean warned;

    /** Switches to {@code next} (or none) and tells it about every entry in {@code index}. */
    synchronized void use(final EvictionPolicy next, final Iterable<StoredEntry> index) {
        policy = next;
        if (next == null) {
            return;
        }
        int n = 0;
        for (final StoredEntry e : index) {
            added(next, e);
            n++;
        }
        LOG.info("Eviction policy {} told about {} cache entries", safeName(next), n);
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
            try {
                p.removed(key);
            } catch (final RuntimeException e) {
                policyFailed(e);
            }
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

    private void policyFailed(final RuntimeException e) {
        // a broken policy must not break caching; say so once
        if (!warned) {
            warned = true;
            LOG.warn("Eviction policy failed: {}", e.toString(), e);
        }
    }

    private static String safeName(final EvictionPolicy p) {
        try {
            return p.name();
        } catch (final RuntimeException e) {
            return p.getClass().getName();
        }
    }
}
