package io.otaproxy.cache.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * The channel handed out for a complete entry: the real file channel, and a pin on the entry that is released
 * exactly once when the channel is closed. Every operation goes straight to the real channel, so positional reads
 * and {@code transferTo} (sendfile) cost what they cost without the wrapper.
 */
final class PinnedFileChannel extends FileChannel {

    private final FileChannel file;
    private final Runnable release;

    PinnedFileChannel(final FileChannel file, final Runnable release) {
        this.file = file;
        this.release = release;
    }

    @Override
    public int read(final ByteBuffer dst) throws IOException {
        return file.read(dst);
    }

    @Override
    public long read(final ByteBuffer[] dsts, final int offset, final int length) throws IOException {
        return file.read(dsts, offset, length);
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
    public long position() throws IOException {
        return file.position();
    }

    @Override
    public FileChannel position(final long newPosition) throws IOException {
        file.position(newPosition);
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

    /** Called once by {@link #close()} (the superclass guarantees it). */
    @Override
    protected void implCloseChannel() throws IOException {
        try {
            file.close();
        } finally {
            release.run();
        }
    }
}
