package io.otaproxy.cache.internal;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/** An upstream body the test feeds step by step: chunks, then the end or a failure. Reads block in between. */
final class ControlledBody extends InputStream {

    private static final byte[] END = new byte[0];

    private final BlockingQueue<Object> steps = new LinkedBlockingQueue<>();
    private byte[] current;
    private int pos;
    private volatile boolean blocked;
    private volatile boolean closed;
    private volatile boolean finished;

    ControlledBody feed(final byte[] bytes) {
        steps.add(bytes.clone());
        return this;
    }

    ControlledBody end() {
        steps.add(END);
        return this;
    }

    ControlledBody fail(final String message) {
        steps.add(new IOException(message));
        return this;
    }

    /** Whether a reader is waiting for the next step right now. */
    boolean blocked() {
        return blocked;
    }

    boolean closed() {
        return closed;
    }

    @Override
    public int read() throws IOException {
        final byte[] one = new byte[1];
        final int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(final byte[] b, final int off, final int len) throws IOException {
        if (finished) {
            return -1;
        }
        while (current == null || pos == current.length) {
            final Object step;
            blocked = true;
            try {
                step = steps.take();
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            } finally {
                blocked = false;
            }
            if (step instanceof IOException e) {
                throw e;
            }
            if (step == END) {
                finished = true;
                return -1;
            }
            current = (byte[]) step;
            pos = 0;
        }
        final int n = Math.min(len, current.length - pos);
        System.arraycopy(current, pos, b, off, n);
        pos += n;
        return n;
    }

    @Override
    public void close() {
        closed = true;
    }
}
