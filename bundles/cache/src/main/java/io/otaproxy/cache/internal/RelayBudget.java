package io.otaproxy.cache.internal;

/**
 * The memory all the store's relay windows may hold together. Each fill that stopped writing to disk keeps the
 * bytes its readers have not all read in its {@link RelayWindow}, at most its own capacity; this bounds their sum,
 * so any number of downloads crossing the hard limit at once costs at most this much heap. A fill that finds the
 * budget spent waits, and reads upstream no faster, until the readers of some window move on.
 */
final class RelayBudget {

    private long capacity; // guarded by this
    private long used; // guarded by this

    RelayBudget(final long capacity) {
        this.capacity = capacity;
    }

    /** Takes up to {@code wanted} bytes; returns how many were granted (0 when the budget is spent). */
    synchronized int reserve(final int wanted) {
        final int granted = (int) Math.max(0, Math.min(wanted, capacity - used));
        used += granted;
        return granted;
    }

    synchronized void release(final long bytes) {
        used -= bytes;
    }

    synchronized long used() {
        return used;
    }

    synchronized long capacity() {
        return capacity;
    }

    /** Changes the bound live; bytes held beyond a lowered one go back as their readers move on. */
    synchronized void capacity(final long bytes) {
        capacity = bytes;
    }
}
