package io.otaproxy.cache.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

import io.otaproxy.api.cache.Fill;

/**
 * A client's reader of a fill. It has its own descriptor on the body (opened on the temp file, which stays valid
 * after the rename) and reads with positional reads, so every client goes at its own pace and none shares a file
 * position, nor a channel that an interrupted thread could close for the others. Once the fill has stopped
 * writing to disk, positions past the disk part come from the fill's memory window instead.
 */
final class FillBodyReader implements Fill.FillReader {

    private final InFlightFill fill;
    private final FileChannel channel; // null when the fill has nothing on disk
    private volatile boolean closed;
    private long mark; // guarded by the fill's lock: this reader needs nothing before it
    private long waitPosition; // guarded by the fill's lock, with waitCallback
    private Runnable waitCallback;

    FillBodyReader(final InFlightFill fill, final FileChannel channel) {
        this.fill = fill;
        this.channel = channel;
    }

    @Override
    public int read(final long position, final byte[] buffer, final int offset, final int length)
            throws IOException, InterruptedException {
        if (offset < 0 || length < 0 || offset > buffer.length) {
            throw new IndexOutOfBoundsException("position " + position + ", offset " + offset + ", length " + length);
        }
        return read(position, ByteBuffer.wrap(buffer, offset, Math.min(length, buffer.length - offset)));
    }

    @Override
    public int read(final long position, final ByteBuffer target) throws IOException, InterruptedException {
        if (position < 0) {
            throw new IndexOutOfBoundsException("position " + position);
        }
        final int max = target.remaining();
        if (max == 0) {
            return 0;
        }
        return readUpTo(position, target, fill.awaitReadable(position, this));
    }

    @Override
    public int readNow(final long position, final ByteBuffer target) throws IOException {
        if (position < 0) {
            throw new IndexOutOfBoundsException("position " + position);
        }
        if (!target.hasRemaining()) {
            return 0;
        }
        final long limit = fill.readableNow(position, this);
        return limit == 0 ? 0 : readUpTo(position, target, limit);
    }

    @Override
    public void whenReadable(final long position, final Runnable callback) {
        fill.whenReadable(position, this, callback);
    }

    /** Reads at {@code position} below {@code limit}, which the fill said may be read (-1: the end). */
    private int readUpTo(final long position, final ByteBuffer target, final long limit) throws IOException {
        if (limit < 0) {
            return -1;
        }
        final int max = target.remaining();
        final int wanted = (int) Math.min(max, limit - position);
        // read after awaitReadable: the disk part only ever ends at or past what was published to disk
        final long diskEnd = fill.diskEnd();
        if (position >= diskEnd) {
            return readWindow(position, target, wanted);
        }
        final int oldLimit = target.limit();
        target.limit(target.position() + (int) Math.min(wanted, diskEnd - position));
        final int n;
        try {
            n = channel.read(target, position);
        } finally {
            target.limit(oldLimit);
        }
        if (n <= 0) {
            // published bytes are in the page cache: a short file here means someone truncated it under us
            throw new IOException("Fill of " + fill.key() + ": no data at " + position + " though published");
        }
        return n;
    }

    /** From the memory window of a fill that stopped writing to disk. */
    private int readWindow(final long position, final ByteBuffer target, final int wanted) throws IOException {
        if (target.hasArray()) {
            final int n = fill.readWindow(position, target.array(), target.arrayOffset() + target.position(), wanted);
            target.position(target.position() + n);
            return n;
        }
        final byte[] bytes = new byte[wanted]; // rare: a heap copy is fine
        final int n = fill.readWindow(position, bytes, 0, wanted);
        target.put(bytes, 0, n);
        return n;
    }

    boolean isClosed() {
        return closed;
    }

    long mark() {
        return mark;
    }

    void mark(final long position) {
        mark = position;
    }

    /** Under the fill's lock: this reader waits by callback for {@code position}. */
    void waitFor(final long position, final Runnable callback) {
        waitPosition = position;
        waitCallback = callback;
    }

    long waitPosition() {
        return waitPosition;
    }

    /** Under the fill's lock: the waiting callback, now no longer waiting. */
    Runnable takeCallback() {
        final Runnable callback = waitCallback;
        waitCallback = null;
        return callback;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        InFlightFill.closeQuietly(channel);
        fill.readerClosed(this);
    }
}
