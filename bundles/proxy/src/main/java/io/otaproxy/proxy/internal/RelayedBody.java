package io.otaproxy.proxy.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The body of a response relayed without the cache, between the thread that reads upstream and the asynchronous
 * writer that sends it to the client: a short queue of chunks in memory. The upstream thread waits while the
 * queue is full, so a slow client paces upstream and holds a few chunks of memory; the client's side never
 * waits on a thread. All relayed bodies share one {@link Memory} bound.
 *
 * <p>One producer and one reader, reading in order from position 0.
 */
final class RelayedBody implements BodySource {

    /** The most a body keeps queued: a few upstream reads ahead of its client. */
    static final int MAX_QUEUED = 256 * 1024;

    /** How often a producer waiting for shared memory looks again (another body's release does not signal it). */
    private static final long MEMORY_RECHECK_MILLIS = 20;

    /**
     * The memory all relayed bodies may queue together. A body with nothing queued may always queue one chunk, so
     * no body is starved by the others; the bound is exceeded by at most one chunk per relayed response.
     */
    static final class Memory {
        private final AtomicLong used = new AtomicLong();
        private volatile long limit;

        Memory(final long limit) {
            this.limit = limit;
        }

        void limit(final long bytes) {
            limit = bytes;
        }

        long used() {
            return used.get();
        }

        boolean tryTake(final int bytes, final boolean always) {
            while (true) {
                final long u = used.get();
                if (!always && u + bytes > limit) {
                    return false;
                }
                if (used.compareAndSet(u, u + bytes)) {
                    return true;
                }
            }
        }

        void give(final long bytes) {
            used.addAndGet(-bytes);
        }
    }

    private final Memory memory;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<byte[]> chunks = new ArrayDeque<>(); // guarded by lock
    private int headOffset; // guarded by lock: bytes of the first chunk already read
    private long readPosition; // guarded by lock: body position of the next byte to read
    private int queued; // guarded by lock: bytes queued, not yet read
    private boolean ended; // guarded by lock
    private IOException failure; // guarded by lock
    private boolean closed; // guarded by lock
    private Runnable waiter; // guarded by lock

    RelayedBody(final Memory memory) {
        this.memory = memory;
    }

    // ---- the upstream side

    /**
     * Queues {@code length} bytes, waiting while this body's queue is full or the shared memory is spent.
     *
     * @return false when the client side has closed the body: stop reading upstream
     */
    boolean offer(final byte[] bytes, final int offset, final int length) throws InterruptedException {
        if (length == 0) {
            return true;
        }
        Runnable wake;
        lock.lockInterruptibly();
        try {
            while (true) {
                if (closed) {
                    return false;
                }
                final boolean nothingQueued = queued == 0;
                if ((nothingQueued || queued + length <= MAX_QUEUED) && memory.tryTake(length, nothingQueued)) {
                    break;
                }
                changed.await(MEMORY_RECHECK_MILLIS, TimeUnit.MILLISECONDS);
            }
            final byte[] copy = new byte[length];
            System.arraycopy(bytes, offset, copy, 0, length);
            chunks.addLast(copy);
            queued += length;
            wake = takeWaiter();
        } finally {
            lock.unlock();
        }
        run(wake);
        return true;
    }

    /** Upstream's body ended cleanly: the reader gets -1 after the last queued byte. */
    void end() {
        finishWith(null);
    }

    /** Upstream failed: the reader gets {@code cause}, and the client connection is aborted. */
    void fail(final IOException cause) {
        finishWith(cause);
    }

    private void finishWith(final IOException cause) {
        final Runnable wake;
        lock.lock();
        try {
            if (ended || failure != null) {
                return;
            }
            if (cause == null) {
                ended = true;
            } else {
                failure = cause;
            }
            wake = takeWaiter();
        } finally {
            lock.unlock();
        }
        run(wake);
    }

    // ---- the client side

    @Override
    public int readNow(final long position, final ByteBuffer target) throws IOException {
        lock.lock();
        try {
            return take(position, target);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int read(final long position, final ByteBuffer target) throws IOException, InterruptedException {
        lock.lockInterruptibly();
        try {
            int n;
            while ((n = take(position, target)) == 0 && target.hasRemaining()) {
                changed.await();
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int read(final long position, final byte[] buffer, final int offset, final int length)
            throws IOException, InterruptedException {
        return read(position, ByteBuffer.wrap(buffer, offset, length));
    }

    /** Under the lock: moves what is queued at {@code position} into {@code target}. */
    private int take(final long position, final ByteBuffer target) throws IOException {
        if (failure != null) {
            throw failure;
        }
        if (position != readPosition) {
            throw new IOException("a relayed body is read in order: asked for " + position + ", at " + readPosition);
        }
        int n = 0;
        while (target.hasRemaining() && !chunks.isEmpty()) {
            final byte[] head = chunks.peekFirst();
            final int k = Math.min(target.remaining(), head.length - headOffset);
            target.put(head, headOffset, k);
            headOffset += k;
            n += k;
            if (headOffset == head.length) {
                chunks.removeFirst();
                headOffset = 0;
            }
        }
        if (n > 0) {
            queued -= n;
            readPosition += n;
            memory.give(n);
            changed.signalAll(); // room for the upstream side
            return n;
        }
        return ended ? -1 : 0;
    }

    @Override
    public void whenReadable(final long position, final Runnable callback) {
        lock.lock();
        try {
            if (closed || queued == 0 && !ended && failure == null) {
                waiter = callback;
                return;
            }
        } finally {
            lock.unlock();
        }
        callback.run();
    }

    @Override
    public boolean growing() {
        return true;
    }

    /** The client side is done (whole, failed or gone): the upstream side stops, the queue's memory goes back. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            waiter = null;
            chunks.clear();
            memory.give(queued);
            queued = 0;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private Runnable takeWaiter() {
        final Runnable w = waiter;
        waiter = null;
        changed.signalAll();
        return w;
    }

    private static void run(final Runnable wake) {
        if (wake != null) {
            wake.run();
        }
    }
}
