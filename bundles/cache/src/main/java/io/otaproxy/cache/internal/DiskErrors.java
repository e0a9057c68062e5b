package io.otaproxy.cache.internal;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs cache disk failures at ERROR once, not once per request: a full or dying disk fails every write, and a log
 * flooded with the same line hides everything else. The next successful commit logs the recovery.
 */
final class DiskErrors {

    private static final Logger LOG = LoggerFactory.getLogger(DiskErrors.class);

    private final AtomicBoolean failing = new AtomicBoolean();

    void report(final String what, final IOException e) {
        if (failing.compareAndSet(false, true)) {
            LOG.error("{}: {} (further disk errors at DEBUG until a write succeeds)", what, e.toString());
        } else {
            LOG.debug("{}: {}", what, e.toString());
        }
    }

    void recovered() {
        if (failing.compareAndSet(true, false)) {
            LOG.info("Cache disk writes succeed again");
        }
    }
}
