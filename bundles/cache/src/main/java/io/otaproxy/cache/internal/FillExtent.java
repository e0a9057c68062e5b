package io.otaproxy.cache.internal;

import java.io.IOException;

import io.otaproxy.cache.internal.InFlightFill.State;

/**
 * How far the body of one fill has come, where it is (on disk up to {@link #diskEnd}, in a {@link RelayWindow}
 * after), and how much of it readers may see. The integrity rule lives here: until the body is verified, readers
 * see at most {@code length - 1} bytes (or {@code received - 1} while the length is unknown), so no client gets a
 * complete body that later turns out wrong. Not thread-safe: the fill's lock guards it; {@link #onDisk} and
 * {@link #diskEnd} may be read without it.
 */
final class FillExtent {

    private volatile long onDisk;
    private volatile long diskEnd = Long.MAX_VALUE;
    private RelayWindow window;
    private long verifiedLength; // the whole body's length once verified (COMMITTING on)
    private long relayedLength; // the whole body's length once relayed to its end (RELAYED)

    /** Body bytes written to disk so far. */
    long onDisk() {
        return onDisk;
    }

    /** Where the bytes on disk end: positions from here on are read from memory. MAX_VALUE while writing. */
    long diskEnd() {
        return diskEnd;
    }

    void grew(final long total) {
        onDisk = total;
    }

    /** Writing to disk stopped after {@code at} bytes; the rest goes through {@code relay}. */
    void stopDisk(final long at, final RelayWindow relay) {
        diskEnd = at;
        window = relay;
    }

    /** The window of a fill that stopped writing to disk, or null. */
    RelayWindow window() {
        return window;
    }

    void verified(final long total) {
        verifiedLength = total;
    }

    /** The verified length of a fill that is COMMITTING or COMMITTED. */
    long verifiedLength() {
        return verifiedLength;
    }

    void committed(final long length) {
        onDisk = length;
        verifiedLength = length;
    }

    void relayed(final long total) {
        relayedLength = total;
    }

    /** The body is whole and verified on disk, but will not become an entry: readers read it to its end. */
    void wholeOnDiskOnly(final long total) {
        diskEnd = total;
        window = new RelayWindow(total, 0);
        relayedLength = total;
    }

    /** Whether a reader starting at 0 could no longer get every byte (the window moved past the disk's end). */
    boolean lostStart() {
        return window != null && window.start() > diskEnd;
    }

    /** No read of the window succeeds any more: its bytes go back to the store's budget. */
    void closeWindow() {
        if (window != null) {
            window.close();
        }
    }

    /** Body bytes received so far, wherever they are. */
    long received(final State s) {
        return s == State.RELAYED ? relayedLength : window != null ? window.end() : onDisk;
    }

    /** Bytes held in memory for readers now. */
    long buffered() {
        return window == null ? 0 : window.buffered();
    }

    /**
     * One past the last position readers may have in state {@code s}: all of a verified body, else all that was
     * received but its last byte.
     *
     * @param length the announced length, or -1 if unknown
     */
    long readableLimit(final State s, final long length) {
        if (s == State.COMMITTED || s == State.COMMITTING) {
            return verifiedLength;
        }
        if (s == State.RELAYED) {
            return relayedLength;
        }
        final long received = received(s);
        return Math.max(0, length >= 0 ? Math.min(received, length - 1) : received - 1);
    }

    /** Copies bytes the disk did not get, from {@code position} (readable, not yet dropped). */
    int copy(final long position, final byte[] buffer, final int offset, final int length, final String key)
            throws IOException {
        if (window == null || position < window.start()) {
            throw new IOException("Fill of " + key + ": the bytes at " + position + " are no longer held");
        }
        return window.copy(position, buffer, offset, length);
    }
}
