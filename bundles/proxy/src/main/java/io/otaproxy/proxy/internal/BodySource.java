package io.otaproxy.proxy.internal;

import java.io.IOException;
import java.nio.ByteBuffer;

/** Positional reads of a cached body: a complete entry's file, or a fill still being written. */
interface BodySource extends AutoCloseable {

    /**
     * Reads up to {@code length} bytes at {@code position}, waiting for them if they are still being downloaded.
     * Returns -1 past the end. Throws when the body cannot be completed; the response must then be aborted.
     */
    int read(long position, byte[] buffer, int offset, int length) throws IOException, InterruptedException;

    /** As {@link #read(long, byte[], int, int)}, into the remaining space of {@code target}. */
    int read(long position, ByteBuffer target) throws IOException, InterruptedException;

    /**
     * Reads without waiting for a download: what may be read at {@code position} now, 0 when nothing yet (then
     * {@link #whenReadable}), -1 past the end. A complete entry is read from its file at once.
     */
    int readNow(long position, ByteBuffer target) throws IOException;

    /**
     * Runs {@code callback} once bytes at {@code position} may be read (or the body ended or failed); at once when
     * they may already. The callback runs on the thread that published the bytes: it must only hand work on.
     */
    void whenReadable(long position, Runnable callback);

    /**
     * Maps {@code count} bytes from {@code position} of a complete body's file for reading, or returns null when
     * the body is not a complete file (a fill grows, its file is not mapped).
     */
    default ByteBuffer map(final long position, final long count) throws IOException {
        return null;
    }

    /** Whether bytes not yet read may still be on their way (a fill), so pauses should flush the response. */
    boolean growing();

    @Override
    void close();
}
