package io.otaproxy.proxy.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.jetty.ee10.servlet.HttpOutput;

/**
 * Writes of a {@link ByteBuffer} straight into Jetty's response output, and the direct buffers they use. A body
 * read from a file into a direct buffer then reaches the socket without passing through the heap: the servlet
 * API (6.0) can only write {@code byte[]}, which costs a copy into the heap, one into Jetty's buffer and a JDK
 * temporary direct buffer on the read side.
 *
 * <p>The buffers are pooled and few; a response that finds the pool empty uses the heap path instead of
 * allocating, so direct memory stays bounded by {@link #POOLED} x {@link #BUFFER_BYTES}.
 */
final class DirectOutput {

    /** Large enough to make a 1 GiB body a few thousand system calls, small enough to pool. */
    static final int BUFFER_BYTES = 256 * 1024;
    static final int POOLED = 32;

    private static final boolean JETTY = jettyPresent();
    private static final ArrayBlockingQueue<ByteBuffer> POOL = new ArrayBlockingQueue<>(POOLED);
    private static final AtomicInteger CREATED = new AtomicInteger();

    private DirectOutput() {
    }

    /** Whether {@code out} takes buffers directly (Jetty's servlet output). */
    static boolean supports(final OutputStream out) {
        return JETTY && isHttpOutput(out);
    }

    private static boolean isHttpOutput(final OutputStream out) {
        try {
            return out instanceof HttpOutput;
        } catch (final LinkageError e) {
            return false;
        }
    }

    /** Writes the remaining bytes of {@code buffer}; blocks until they are written. Only if {@link #supports}. */
    static void write(final OutputStream out, final ByteBuffer buffer) throws IOException {
        ((HttpOutput) out).write(buffer);
    }

    /** A pooled direct buffer, or null when all are in use. Give it back with {@link #release}. */
    static ByteBuffer acquire() {
        final ByteBuffer pooled = POOL.poll();
        if (pooled != null) {
            return pooled.clear();
        }
        if (CREATED.incrementAndGet() <= POOLED) {
            return ByteBuffer.allocateDirect(BUFFER_BYTES);
        }
        CREATED.decrementAndGet();
        return null;
    }

    /** Back to the pool, after a write that completed. */
    static void release(final ByteBuffer buffer) {
        if (buffer != null && !POOL.offer(buffer)) {
            CREATED.decrementAndGet();
        }
    }

    /**
     * Dropped, after a write that failed: the connection may still hold it, so it is left to the garbage
     * collector, and the pool may make another.
     */
    static void discard(final ByteBuffer buffer) {
        if (buffer != null) {
            CREATED.decrementAndGet();
        }
    }

    private static boolean jettyPresent() {
        try {
            Class.forName("org.eclipse.jetty.ee10.servlet.HttpOutput", false, DirectOutput.class.getClassLoader());
            return true;
        } catch (final ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
