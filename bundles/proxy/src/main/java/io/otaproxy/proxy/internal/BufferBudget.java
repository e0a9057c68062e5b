package io.otaproxy.proxy.internal;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * The memory that bodies being written to clients may hold, across all responses together: buffers lent to a
 * response while it reads a piece of its body and the client takes it. A response whose client is slow keeps its
 * buffer until the write completes; one that waits for a download to reach it keeps none. When the budget is
 * spent, responses queue for the next buffer in arrival order and hold only their socket meanwhile, so no number of
 * clients, however slow, makes the buffers outgrow the budget.
 *
 * <p>Buffers come in two sizes. While at least half of the budget is free a response gets a large one, so a fast
 * client takes a body in few system calls; past that, a small one, so that many stalled clients, each holding
 * the buffer of its pending write, still leave room for everyone else. The small size stays above the
 * container's aggregation size, so a buffer is written as it is, never copied into a buffer of the container's.
 *
 * <p>Buffers are direct when the container writes them without a copy (Jetty), so the heap never holds bodies;
 * they are made on first use and kept for reuse. A body written from a mapping of its file holds no buffer, but
 * its mapping counts here too, only while half of the budget is free: a few fast clients get mappings, a
 * thousand slow ones get buffers.
 */
final class BufferBudget {

    /** A buffer while the budget is mostly free. */
    static final int LARGE_BYTES = 128 * 1024;
    /** A buffer once half of the budget is lent: above Jetty's 16 KiB output aggregation size. */
    static final int SMALL_BYTES = 24 * 1024;

    private final boolean direct;
    private final ArrayDeque<ByteBuffer> freeLarge = new ArrayDeque<>();
    private final ArrayDeque<ByteBuffer> freeSmall = new ArrayDeque<>();
    private final ArrayDeque<Consumer<ByteBuffer>> waiters = new ArrayDeque<>();
    private long budget; // guarded by this
    private long lent; // bytes lent, guarded by this
    private long created; // bytes of buffers made and not dropped, guarded by this

    /**
     * @param budgetBytes the most bytes lent at once; at least one small buffer's worth
     * @param direct      whether to make direct buffers
     */
    BufferBudget(final long budgetBytes, final boolean direct) {
        this.direct = direct;
        resize(budgetBytes);
    }

    /** Changes the budget live; buffers lent beyond a lowered budget are dropped as they come back. */
    void resize(final long budgetBytes) {
        synchronized (this) {
            budget = Math.max(SMALL_BYTES, budgetBytes);
            trimFree();
        }
        serveWaiters(); // a raised budget may serve waiters at once
    }

    /** A buffer, cleared; null when the budget is spent or others queue already (then {@link #whenAvailable}). */
    synchronized ByteBuffer tryAcquire() {
        return waiters.isEmpty() ? take() : null;
    }

    /**
     * Hands the next buffer to {@code taker}, in arrival order: at once, on this thread, if the budget allows. The
     * taker owns the buffer from then on, and must give it back even if it no longer needs it.
     */
    void whenAvailable(final Consumer<ByteBuffer> taker) {
        final ByteBuffer now;
        synchronized (this) {
            now = waiters.isEmpty() ? take() : null;
            if (now == null) {
                waiters.add(taker);
                return;
            }
        }
        taker.accept(now);
    }

    /**
     * Counts {@code bytes} of a file mapping against the budget, if that leaves at least half of it free and no one
     * queues: the pages of a mapping that the kernel has copied to a socket are resident until it is unmapped, so a
     * mapping is memory as much as a buffer is. False when it would not fit; then the body takes a buffer.
     */
    synchronized boolean tryReserveMapping(final long bytes) {
        if (!waiters.isEmpty() || lent + bytes > budget / 2) {
            return false;
        }
        lent += bytes;
        return true;
    }

    /** Gives back what {@link #tryReserveMapping} counted, once the mapping is unmapped (or left to the collector). */
    void releaseMapping(final long bytes) {
        synchronized (this) {
            lent -= bytes;
        }
        serveWaiters();
    }

    /** Gives a buffer back after its last write completed; the next waiters get what it frees. */
    void release(final ByteBuffer buffer) {
        synchronized (this) {
            lent -= buffer.capacity();
            (buffer.capacity() == LARGE_BYTES ? freeLarge : freeSmall).push(buffer);
            trimFree();
        }
        serveWaiters();
    }

    /**
     * Writes of a buffer failed, and the container may still hold it: it is not reused, and its share of the
     * budget goes to new ones.
     */
    void discard(final ByteBuffer buffer) {
        synchronized (this) {
            lent -= buffer.capacity();
            created -= buffer.capacity();
        }
        serveWaiters();
    }

    private void serveWaiters() {
        while (true) {
            final Consumer<ByteBuffer> waiter;
            final ByteBuffer granted;
            synchronized (this) {
                if (waiters.isEmpty() || (granted = take()) == null) {
                    return;
                }
                waiter = waiters.poll();
            }
            waiter.accept(granted);
        }
    }

    /** Under the lock: a free or new buffer of the size the budget allows now, lent; null when spent. */
    private ByteBuffer take() {
        final boolean large = lent + LARGE_BYTES <= budget / 2;
        final int size = large ? LARGE_BYTES : SMALL_BYTES;
        if (lent + size > budget) {
            return null;
        }
        ByteBuffer b = (large ? freeLarge : freeSmall).poll();
        if (b == null) {
            // make room among idle buffers of the other size before growing past the budget
            while (created + size > budget && dropOneFree()) {
                // dropped one
            }
            if (created + size > budget) {
                return null;
            }
            b = direct ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size);
            created += size;
        }
        lent += size;
        return b.clear();
    }

    /** Under the lock: drops idle buffers while more bytes exist than the budget. */
    private void trimFree() {
        while (created > budget && dropOneFree()) {
            // dropped one
        }
    }

    private boolean dropOneFree() {
        ByteBuffer b = freeLarge.poll();
        if (b == null) {
            b = freeSmall.poll();
        }
        if (b == null) {
            return false;
        }
        created -= b.capacity();
        return true;
    }

    /** Bytes lent now. */
    synchronized long lentBytes() {
        return lent;
    }

    /** Responses waiting for a buffer now. */
    synchronized int waiting() {
        return waiters.size();
    }
}
