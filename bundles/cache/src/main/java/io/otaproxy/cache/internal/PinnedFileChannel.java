package io.otaproxy.cache.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * The channel handed out for a complete entry: the file's descriptor (often shared with other readers, see
 * {@link OpenFile}), and a release (the pin on the entry, the descriptor reference) run exactly once when the
 * channel is closed. Reads go straight to the real channel at this channel's own position, so readers sharing a
 * descriptor never move each other's position, and positional reads and {@code transferTo} (sendfile) cost what
 * they cost without the wrapper.
 *
 * <p>A FileChannel is an InterruptibleChannel: a thread interrupted while it uses the channel (or already
 * interrupted when it calls it) closes it, for every reader sharing the descriptor, and Jetty interrupts its
 * threads when it stops. So every call on the real channel runs with the calling thread's interrupt status
 * cleared (a {@code transferTo}'s target is spared too), and sets it again when it returns: the thread still
 * sees its interrupt, at its next wait. Nothing in the JDK's public API shields the instant of the system call
 * itself: an interrupt that arrives just then still closes the descriptor, and the entry then opens a fresh one
 * for its next readers (see {@link OpenFile#retain}).
 */
final class PinnedFileChannel extends FileChannel {

    private final FileChannel file;
    private final Runnable release;
    private long position; // guarded by this: the relative reads' own position

    PinnedFileChannel(final FileChannel file, final Runnable release) {
        this.file = file;
        this.release = release;
    }

    @Override
    public synchronized int read(final ByteBuffer dst) throws IOException {
        final int n = read(dst, position);
        if (n > 0) {
            position += n;
        }
        return n;
    }

    @Override
    public synchronized long read(final ByteBuffer[] dsts, final int offset, final int length) throws IOException {
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            if (!dsts[i].hasRemaining()) {
                continue;
            }
            final int n = read(dsts[i]);
            if (n < 0) {
                return total == 0 ? -1 : total;
            }
            total += n;
            if (dsts[i].hasRemaining()) {
                break; // a short read: the end of the file for now
            }
        }
        return total;
    }

    /** Every read comes down to this one, the hit's: shielded inline, without a lambda. */
    @Override
    public int read(final ByteBuffer dst, final long position) throws IOException {
        final boolean interrupted = Thread.interrupted();
        try {
            return file.read(dst, position);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public int write(final ByteBuffer src) throws IOException {
        return shielded(() -> file.write(src));
    }

    @Override
    public long write(final ByteBuffer[] srcs, final int offset, final int length) throws IOException {
        return shielded(() -> file.write(srcs, offset, length));
    }

    @Override
    public int write(final ByteBuffer src, final long position) throws IOException {
        return shielded(() -> file.write(src, position));
    }

    @Override
    public synchronized long position() throws IOException {
        return position;
    }

    @Override
    public synchronized FileChannel position(final long newPosition) throws IOException {
        if (newPosition < 0) {
            throw new IllegalArgumentException("negative position " + newPosition);
        }
        position = newPosition;
        return this;
    }

    @Override
    public long size() throws IOException {
        return shielded(file::size);
    }

    @Override
    public FileChannel truncate(final long size) throws IOException {
        shielded(() -> file.truncate(size));
        return this;
    }

    @Override
    public void force(final boolean metaData) throws IOException {
        shielded(() -> {
            file.force(metaData);
            return null;
        });
    }

    @Override
    public long transferTo(final long position, final long count, final WritableByteChannel target)
            throws IOException {
        return shielded(() -> file.transferTo(position, count, target));
    }

    @Override
    public long transferFrom(final ReadableByteChannel src, final long position, final long count)
            throws IOException {
        return shielded(() -> file.transferFrom(src, position, count));
    }

    @Override
    public MappedByteBuffer map(final MapMode mode, final long position, final long size) throws IOException {
        return shielded(() -> file.map(mode, position, size));
    }

    @Override
    public FileLock lock(final long position, final long size, final boolean shared) throws IOException {
        return shielded(() -> file.lock(position, size, shared));
    }

    @Override
    public FileLock tryLock(final long position, final long size, final boolean shared) throws IOException {
        return shielded(() -> file.tryLock(position, size, shared));
    }

    /** A call on the real channel. */
    @FunctionalInterface
    private interface Call<T> {
        T call() throws IOException;
    }

    /** Runs {@code call} with the caller's interrupt status cleared, and sets it again afterwards. */
    private static <T> T shielded(final Call<T> call) throws IOException {
        final boolean interrupted = Thread.interrupted();
        try {
            return call.call();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Called once by {@link #close()} (the superclass guarantees it); the release closes what must be closed. */
    @Override
    protected void implCloseChannel() {
        release.run();
    }
}
