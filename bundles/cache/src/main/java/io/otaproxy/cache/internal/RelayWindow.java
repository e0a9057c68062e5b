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
 * slow a reader is. Every byte held is also taken from the store's {@link RelayBudget}, which bounds all windows
 * together; {@link #close} gives back what is still held. Not thread-safe: the fill's lock guards it.
 */
final class RelayWindow {

    private record Block(long start, byte[] bytes) {
        long end() {
            return start + bytes.length;
        }
    }

    private final ArrayDeque<Block> blocks = new ArrayDeque<>();
    private final int capacity;
    private final RelayBudget budget;
    private long end;
    private long buffered;

    /**
     * @param from     the body position where the window starts: the bytes on disk when writing stopped
     * @param capacity the most bytes held at once
     */
    RelayWindow(final long from, final int capacity, final RelayBudget budget) {
        this.end = from;
        this.capacity = capacity;
        this.budget = budget;
    }

    /** A window without a store-wide budget (only its own capacity bounds it). */
    RelayWindow(final long from, final int capacity) {
        this(from, capacity, new RelayBudget(Long.MAX_VALUE));
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
        if (appendUpTo(source, offset, length) != length) {
            throw new IllegalStateException("the store's relay budget is spent");
        }
    }

    /**
     * Appends as many of {@code length} bytes as this window's room and the store's budget allow now.
     *
     * @return the bytes appended, 0 when the window is full or the budget spent
     */
    int appendUpTo(final byte[] source, final int offset, final int length) {
        final int n = budget.reserve(Math.min(room(), length));
        if (n == 0) {
            return 0;
        }
        blocks.addLast(new Block(end, Arrays.copyOfRange(source, offset, offset + n)));
        end += n;
        buffered += n;
        return n;
    }

    /** Drops every block and gives its bytes back to the budget: no reader will read from the window again. */
    void close() {
        blocks.clear();
        budget.release(buffered);
        buffered = 0;
    }

    /** Drops the blocks that end at or before {@code position}: no reader needs them any more. */
    void discardBefore(final long position) {
        for (Block b = blocks.peekFirst(); b != null && b.end() <= position; b = blocks.peekFirst()) {
            blocks.removeFirst();
            buffered -= b.bytes().length;
            budget.release(b.bytes().length);
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
