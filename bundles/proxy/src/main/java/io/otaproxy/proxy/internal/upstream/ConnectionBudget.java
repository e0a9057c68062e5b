package io.otaproxy.proxy.internal.upstream;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Bounds the upstream connections open at once, pooled idle ones included. A request that finds the budget spent
 * first closes an idle pooled connection, then waits up to the connect timeout for one to close.
 */
final class ConnectionBudget {

    private final int max;
    private final Semaphore permits;

    /** @param max the most connections open at once; 0 means no limit */
    ConnectionBudget(final int max) {
        this.max = max;
        this.permits = max > 0 ? new Semaphore(max) : null;
    }

    /**
     * Takes one connection's worth of budget.
     *
     * @return false if none came free within {@code waitMillis}
     */
    boolean acquire(final ConnectionPool pool, final long waitMillis) throws InterruptedException {
        if (permits == null || permits.tryAcquire()) {
            return true;
        }
        // an idle connection to some other route is worth less than this request
        while (pool.closeOldestIdle()) {
            if (permits.tryAcquire()) {
                return true;
            }
        }
        return permits.tryAcquire(Math.max(1, waitMillis), TimeUnit.MILLISECONDS);
    }

    void release() {
        if (permits != null) {
            permits.release();
        }
    }

    /** Connections currently counted against the budget; 0 when there is no limit. */
    int inUse() {
        return permits == null ? 0 : max - permits.availablePermits();
    }

    int max() {
        return max;
    }
}
