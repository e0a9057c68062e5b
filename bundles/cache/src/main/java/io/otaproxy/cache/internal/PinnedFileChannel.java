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
        final int n = file.read(dst, position);
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

    @Override
    public int read(final ByteBuffer dst, final long position) throws IOException {
        return file.read(dst, position);
    }

    @Override
    public int write(final ByteBuffer src) throws IOException {
        return file.write(src);
    }

    @Override
    public long write(final ByteBuffer[] srcs, final int offset, final int length) throws IOException {
        return file.write(srcs, offset, length);
    }

    @Override
    public int write(final ByteBuffer src, final long position) throws IOException {
        return file.write(src, position);
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
        return file.size();
    }

    @Override
    public FileChannel truncate(final long size) throws IOException {
        file.truncate(size);
        return this;
    }

    @Override
    public void force(final boolean metaData) throws IOException {
        file.force(metaData);
    }

    @Override
    public long transferTo(final long position, final long count, final WritableByteChannel target)
            throws IOException {
        return file.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(final ReadableByteChannel src, final long position, final long count)
            throws IOException {
        return file.transferFrom(src, position, count);
    }

    @Override
    public MappedByteBuffer map(final MapMode mode, final long position, final long size) throws IOException {
        return file.map(mode, position, size);
    }

    @Override
    public FileLock lock(final long position, final long size, final boolean shared) throws IOException {
        return file.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(final long position, final long size, final boolean shared) throws IOException {
        return file.tryLock(position, size, shared);
    }

    /** Called once by {@link #close()} (the superclass guarantees it); the release closes what must be closed. */
    @Override
    protected void implCloseChannel() {
        release.run();
    }
}
