package io.otaproxy.cache.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One open descriptor of an entry's data file, shared by every reader of the entry: a hit then costs no
 * {@code open} and {@code close} system calls. Counted: the entry holds one reference while it keeps the file
 * open, each reader one more; the descriptor is closed when the last reference goes. Readers use positional reads
 * only (see {@link PinnedFileChannel}), so they never disturb each other.
 */
final class OpenFile {

    private final FileChannel channel;
    private final AtomicInteger references = new AtomicInteger(1); // the entry's own
    private volatile long lastReleaseNanos = System.nanoTime();

    OpenFile(final FileChannel channel) {
        this.channel = channel;
    }

    FileChannel channel() {
        return channel;
    }

    /**
     * Takes a reference for a reader; false if the file was closed meanwhile (open another). Closed also means
     * closed under its readers: an interrupt that reaches a reader's thread inside a read closes the descriptor
     * (see {@link PinnedFileChannel}), and the entry must then open a fresh one rather than hand out a dead one
     * until it has been idle long enough to be swept. The references to a descriptor closed that way are left to
     * run out; there is nothing more to close.
     */
    boolean retain() {
        if (!channel.isOpen()) {
            return false;
        }
        while (true) {
            final int n = references.get();
            if (n == 0) {
                return false;
            }
            if (references.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Gives a reference back; the last one closes the descriptor. */
    void release() {
        lastReleaseNanos = System.nanoTime();
        if (references.decrementAndGet() == 0) {
            try {
                channel.close();
            } catch (final IOException e) {
                // a read-only descriptor: nothing was left unwritten
            }
        }
    }

    /** Whether only the entry holds it and no reader has let go of it since {@code cutoffNanos}. */
    boolean idleSince(final long cutoffNanos) {
        return references.get() == 1 && lastReleaseNanos - cutoffNanos < 0;
    }
}
