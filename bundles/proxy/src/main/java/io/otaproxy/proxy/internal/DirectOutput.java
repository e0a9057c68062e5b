package io.otaproxy.proxy.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;

import org.eclipse.jetty.ee10.servlet.HttpOutput;

/**
 * Writes of a {@link ByteBuffer} straight into Jetty's response output. A body read from a file into a direct
 * buffer then reaches the socket without passing through the heap: the servlet API (6.0) can only write
 * {@code byte[]}, which costs a copy into the heap, one into Jetty's buffer and a JDK temporary direct buffer on
 * the read side. In asynchronous mode the write returns at once and the buffer belongs to the connection until
 * the output is ready again. The buffers themselves come from the {@link BufferBudget}.
 */
final class DirectOutput {

    private static final boolean JETTY = jettyPresent();

    private DirectOutput() {
    }

    /** Whether Jetty is the container, so that direct buffers are written without a copy. */
    static boolean available() {
        return JETTY;
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

    /** Writes the remaining bytes of {@code buffer}. Only if {@link #supports}. */
    static void write(final OutputStream out, final ByteBuffer buffer) throws IOException {
        ((HttpOutput) out).write(buffer);
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
