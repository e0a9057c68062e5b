package io.otaproxy.cache.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.LongUnaryOperator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The callers of one fill that wait without a thread: those waiting for it to begin, and readers waiting for bytes
 * at a position. A change of the fill marks them for a check; when the fill's lock is released, the callbacks of
 * those that may go on are taken and then run on the thread that made the change, never under the lock. Not
 * thread-safe: the fill's lock guards it, except {@link #run}.
 */
final class FillWakeups {

    private static final Logger LOG = LoggerFactory.getLogger(FillWakeups.class);

    private final List<Runnable> begun = new ArrayList<>();
    private final Set<FillBodyReader> readers = Collections.newSetFromMap(new IdentityHashMap<>());
    private boolean pending;

    /** Something changed that a waiter may wait for. */
    void markPending() {
        pending = true;
    }

    boolean isPending() {
        return pending;
    }

    void awaitBegin(final Runnable callback) {
        begun.add(callback);
    }

    /** {@code reader} left its callback for a position (see {@link FillBodyReader#waitFor}). */
    void awaitBytes(final FillBodyReader reader) {
        readers.add(reader);
    }

    void forget(final FillBodyReader reader) {
        readers.remove(reader);
    }

    /**
     * Takes the callbacks of the waiters that may go on, if a change was marked since the last call.
     *
     * @param hasBegun  whether the fill left NEW (begun, or abandoned)
     * @param readiness a position's readiness: 0 while a reader there must wait
     * @return the callbacks to run once the lock is released, or null
     */
    List<Runnable> takeReady(final boolean hasBegun, final LongUnaryOperator readiness) {
        if (!pending) {
            return null;
        }
        pending = false;
        List<Runnable> ready = null;
        if (hasBegun && !begun.isEmpty()) {
            ready = new ArrayList<>(begun);
            begun.clear();
        }
        for (final Iterator<FillBodyReader> it = readers.iterator(); it.hasNext();) {
            final FillBodyReader r = it.next();
            if (r.isClosed() || readiness.applyAsLong(r.waitPosition()) != 0) {
                it.remove();
                if (ready == null) {
                    ready = new ArrayList<>();
                }
                ready.add(r.takeCallback());
            }
        }
        return ready;
    }

    /** Runs taken callbacks, with no lock held; one waiter's failure is its own. */
    static void run(final List<Runnable> callbacks) {
        if (callbacks == null) {
            return;
        }
        for (final Runnable callback : callbacks) {
            run(callback);
        }
    }

    static void run(final Runnable callback) {
        if (callback == null) {
            return;
        }
        try {
            callback.run();
        } catch (final RuntimeException | LinkageError e) {
            // a waiter's own failure is its own: the download goes on for everyone else
            LOG.warn("A reader's wake-up failed: {}", e.toString());
        }
    }
}
