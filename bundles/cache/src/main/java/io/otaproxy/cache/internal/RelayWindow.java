package io.otaproxy.cache.internal;

import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * The bytes of a fill that no longer go to disk (hard limit crossed, or a write failed) on their way to the fill's
 * readers: a queue of blocks covering body positions {@code [start, end)}, never more than {@code capacity} bytes.
 * Positions below the point where writing stopped stay on disk and are read from the temp file.
 *
 * <p>Blocks are dropped once every reader is past them, so the slowest reader sets the pace: when the window is
 * full the writer waits and stops reading upstream (backpressure through TCP), and memory stays bounded however
 * slow a reader is. Not thread-safe: the fill's lock guards it.
 */
final class RelayWindow {

    private record Block(long start, byte[] bytes) {
        long end() {
            return start + bytes.length;
        }
    }

    private final ArrayDeque<Block> blocks = new ArrayDeque<>();
    private final int capacity;
    private long end;
    private long buffered;

    /**
     * @param from     the body position where the window starts: the bytes on disk when writing stopped
     * @param capacity the most bytes held at once
     */
    RelayWindow(final long from, final int capacity) {
        this.end = from;
        this.capacity = capacity;
    }

    /** The first body position still held ({@link #end} when empty). */
    long start() {
        final Block first = blocks.peekFirst();
        return first == null ? end : first.start();
    }

    /** One past the last body position received. */
    long end() {
        return end;
    }

    /** Bytes held now. */
    long buffered() {
        return buffered;
    }

    /** Bytes that may be appended now. */
    int room() {
        return (int) Math.max(0, capacity - buffered);
    }

    /** Appends {@code length} bytes at {@link #end}; the caller has checked {@link #room}. */
    void append(final byte[] source, final int offset, final int length) {
        if (length > room()) {
            throw new IllegalStateException("window full: " + length + " bytes, room " + room());
        }
        if (length == 0) {
            return;
        }
        blocks.addLast(new Block(end, Arrays.copyOfRange(source, offset, offset + length)));
        end += length;
        buffered += length;
    }

    /** Drops the blocks that end at or before {@code position}: no reader needs them any more. */
    void discardBefore(final long position) {
        for (Block b = blocks.peekFirst(); b != null && b.end() <= position; b = blocks.peekFirst()) {
            blocks.removeFirst();
            buffered -= b.bytes().length;
        }
    }

    /**
     * Copies up to {@code length} bytes from {@code position}, which must lie in {@code [start, end)}.
     *
     * @return the number of bytes copied, at least 1
     */
    int copy(final long position, final byte[] target, final int offset, final int length) {
        if (position < start() || position >= end) {
            throw new IllegalArgumentException("position " + position + " outside [" + start() + ", " + end + ")");
        }
        for (final Block b : blocks) {
            if (position < b.end()) {
                final int from = (int) (position - b.start());
                final int n = Math.min(length, b.bytes().length - from);
                System.arraycopy(b.bytes(), from, target, offset, n);
                return n;
            }
        }
        throw new IllegalStateException("no block holds " + position); // unreachable: position < end
    }
}
