package io.otaproxy.proxy.internal.upstream;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicBoolean;

/** One open socket to a route with its buffered streams, as borrowed from and returned to the pool. */
final class UpstreamConnection {

    private final Route route;
    private final Socket socket;
    private final HttpInput input;
    private final OutputStream output;
    private final Runnable onClose;
    private final AtomicBoolean closed = new AtomicBoolean();
    private long idleSinceNanos;

    /** @param onClose run once, on the first close (returns the connection's share of the budget) */
    UpstreamConnection(final Route route, final Socket socket, final Runnable onClose) throws IOException {
        this.route = route;
        this.socket = socket;
        this.onClose = onClose;
        this.input = new HttpInput(socket.getInputStream());
        // a request head is small; the buffer just makes it one write
        this.output = new BufferedOutputStream(socket.getOutputStream(), 8 * 1024);
    }

    Route route() {
        return route;
    }

    HttpInput input() {
        return input;
    }

    OutputStream output() {
        return output;
    }

    void markIdle() {
        idleSinceNanos = System.nanoTime();
    }

    long idleNanos() {
        return System.nanoTime() - idleSinceNanos;
    }

    /** Cheap check before reuse: open, and no stray bytes waiting (which would be a protocol error). */
    boolean looksUsable() {
        if (socket.isClosed() || socket.isInputShutdown() || socket.isOutputShutdown()) {
            return false;
        }
        try {
            return input.buffered() == 0 && socket.getInputStream().available() == 0;
        } catch (final IOException e) {
            return false;
        }
    }

    void close() {
        try {
            socket.close();
        } catch (final IOException e) {
            // nothing to do about a failing close
        } finally {
            if (closed.compareAndSet(false, true)) {
                onClose.run();
            }
        }
    }

    @Override
    public String toString() {
        return route + " (local port " + socket.getLocalPort() + ")";
    }
}
