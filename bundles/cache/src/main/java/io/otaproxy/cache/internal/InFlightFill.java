package io.otaproxy.cache.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import io.otaproxy.api.cache.EntryMeta;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared state of one download into the cache: {@code NEW → BEGUN → COMMITTING → COMMITTED}, or it ends
 * {@code FAILED} / {@code ABANDONED}. One lock guards the state; the writer holds it only to publish progress
 * and readers only to look at it, so neither ever waits on the other's I/O.
 *
 * <p>Integrity rule: until the body is verified and committed, readers see at most {@code length - 1} bytes
 * (or {@code bytesOnDisk - 1} while the length is unknown). A client can then never receive a complete body
 * that later turns out to be wrong; it sees an error instead of the last byte.
 */
final class InFlightFill {

    enum State { NEW, BEGUN, COMMITTING, COMMITTED, FAILED, ABANDONED }

    private static final Logger LOG = LoggerFactory.getLogger(InFlightFill.class);

    private final String key;
    private final FillHost host;
    private final long createdMillis;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final AtomicBoolean abortRun = new AtomicBoolean();

    private volatile State state = State.NEW; // written under lock
    private volatile long bytesOnDisk; // written under lock
    private EntryMeta meta;
    private Path tempFile;
    private Path readPath; // where new readers open the body: the temp file, then the data file after the rename
    private IOException failure;
    private Runnable onAbort;
    private int openReaders; // the leader's reserved slot included
    private boolean leaderSlot;
    private boolean writerDone;

    InFlightFill(final String key, final FillHost host, final long createdMillis) {
        this.key = key;
        this.host = host;
        this.createdMillis = createdMillis;
    }

    String key() {
        return key;
    }

    long bytesOnDisk() {
        return bytesOnDisk;
    }

    EntryMeta meta() {
        lock.lock();
        try {
            return meta;
        } finally {
            lock.unlock();
        }
    }

    /** Whether a new request may join: running, or not begun and younger than the begin timeout. */
    boolean isJoinable(final long nowMillis, final long beginTimeoutMillis) {
        final State s = state;
        return s == State.BEGUN || s == State.COMMITTING || s == State.COMMITTED
                || s == State.NEW && nowMillis - createdMillis < beginTimeoutMillis;
    }

    // ---- leader

    void begin(final EntryMeta m, final InputStream body, final Runnable abortAction) {
        Objects.requireNonNull(m, "meta");
        Objects.requireNonNull(body, "body");
        FileChannel out = null;
        IOException openFailure = null;
        lock.lock();
        try {
            if (state == State.NEW) {
                meta = m;
                onAbort = abortAction;
                tempFile = host.newTempFile(key);
                try {
                    // created before BEGUN is visible, so a reader opened right after begin finds the file
                    out = FileChannel.open(tempFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                    readPath = tempFile;
                    // the leader counts as a reader until it opens its own: a joiner hanging up in between
                    // must not abort the download the leader's client is about to read
                    leaderSlot = true;
                    openReaders = 1;
                    state = State.BEGUN;
                } catch (final IOException e) {
                    openFailure = e;
                    failure = e;
                    writerDone = true;
                    state = State.FAILED;
                }
                changed.signalAll();
            } else if (state != State.ABANDONED) {
                throw new IllegalStateException("Fill of " + key + " already begun");
            }
        } finally {
            lock.unlock();
        }
        if (out == null) {
            // either the temp file could not be created, or the fill was dropped (stale, or the store closed)
            // before the leader came back; in both cases its newReader will say so
            if (openFailure != null) {
                host.diskError("Cannot create a temp file for " + key, openFailure);
                ended();
            }
            closeQuietly(body);
            runQuietly(abortAction);
            return;
        }
        try {
            host.startWriter(new FillWriter(this, m, body, out, host));
        } catch (final RejectedExecutionException e) {
            closeQuietly(out);
            closeQuietly(body);
            fail(new IOException("The cache store is stopping"), false);
            writerFinished();
        }
    }

    /** Leader: gives the fill up before it began; joiners are released. */
    void abandon() {
        if (abandonIfNew(true)) {
            LOG.debug("Fill of {} abandoned by its leader", key);
        }
    }

    /** Abandons the fill if it has not begun {@code timeoutMillis} after its creation; true if it did. */
    boolean abandonIfStale(final long nowMillis, final long timeoutMillis) {
        return abandonIfNew(nowMillis - createdMillis >= timeoutMillis);
    }

    /** Abandons the fill if it has not begun; true if it did. */
    boolean abandonIfNew(final boolean condition) {
        if (!condition) {
            return false;
        }
        lock.lock();
        try {
            if (state != State.NEW) {
                return false;
            }
            state = State.ABANDONED;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        ended();
        return true;
    }

    boolean awaitBegun(final long timeoutMillis) throws InterruptedException {
        long nanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        lock.lockInterruptibly();
        try {
            while (state == State.NEW) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = changed.awaitNanos(nanos);
            }
            return state != State.ABANDONED;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until the fill has ended one way or another; true if it has. */
    boolean awaitEnd(final long timeoutMillis) throws InterruptedException {
        long nanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        lock.lockInterruptibly();
        try {
            while (state == State.NEW || state == State.BEGUN || state == State.COMMITTING) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = changed.awaitNanos(nanos);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    // ---- readers

    FillBodyReader newReader(final boolean leader) throws IOException {
        lock.lock();
        try {
            switch (state) {
                case NEW:
                    throw new IllegalStateException("Fill of " + key + " has not begun");
                case ABANDONED:
                    throw new IOException("Fill of " + key + " was abandoned");
                case FAILED:
                    throw new IOException("Fill of " + key + " failed: " + failure.getMessage(), failure);
                default:
                    // opened under the lock so the commit's rename cannot slip between choosing and opening
                    final FileChannel channel = FileChannel.open(readPath, StandardOpenOption.READ);
                    if (leader && leaderSlot) {
                        leaderSlot = false;
                    } else {
                        openReaders++;
                    }
                    return new FillBodyReader(this, channel);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until bytes at {@code position} may be read.
     *
     * @return the readable limit (greater than position), or -1 at the end of a committed body
     */
    long awaitReadable(final long position, final FillBodyReader reader) throws IOException, InterruptedException {
        lock.lockInterruptibly();
        try {
            while (true) {
                if (reader.isClosed()) {
                    throw new IOException("Reader closed");
                }
                final State s = state;
                if (s == State.FAILED) {
                    throw new IOException("Fill of " + key + " failed: " + failure.getMessage(), failure);
                }
                final long limit = readableLimit(s);
                if (position < limit) {
                    return limit;
                }
                if (s == State.COMMITTED) {
                    return -1;
                }
                changed.await();
            }
        } finally {
            lock.unlock();
        }
    }

    private long readableLimit(final State s) {
        final long length = meta.length();
        if (s == State.COMMITTED) {
            return length;
        }
        final long onDisk = bytesOnDisk;
        return Math.max(0, length >= 0 ? Math.min(onDisk, length - 1) : onDisk - 1);
    }

    void readerClosed() {
        final boolean abort;
        final boolean deleteTemp;
        lock.lock();
        try {
            openReaders--;
            abort = openReaders == 0 && state == State.BEGUN && !host.alwaysFinish();
            deleteTemp = openReaders == 0 && state == State.FAILED && writerDone;
            changed.signalAll(); // a thread of this reader may be waiting in awaitReadable
        } finally {
            lock.unlock();
        }
        if (abort && fail(new IOException("Every reader left before the download finished"), false)) {
            LOG.debug("Fill of {} aborted: every reader left after {} bytes", key, bytesOnDisk);
        }
        if (deleteTemp) {
            deleteTemp();
        }
    }

    // ---- writer

    boolean isRunning() {
        return state == State.BEGUN;
    }

    void published(final long total) {
        lock.lock();
        try {
            bytesOnDisk = total;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** BEGUN → COMMITTING; false if the fill was aborted meanwhile. Once committing, no reader can abort it. */
    boolean startCommit() {
        lock.lock();
        try {
            if (state != State.BEGUN) {
                return false;
            }
            state = State.COMMITTING;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Renames the temp file into place; under the lock so new readers open either name, never neither. */
    void moveInto(final Path dataFile) throws IOException {
        lock.lock();
        try {
            Files.move(tempFile, dataFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            readPath = dataFile;
        } finally {
            lock.unlock();
        }
    }

    void committed(final EntryMeta finalMeta) {
        lock.lock();
        try {
            meta = finalMeta;
            bytesOnDisk = finalMeta.length();
            state = State.COMMITTED;
            releaseLeaderSlot();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        ended();
    }

    /**
     * Fails a running fill: readers get {@code cause}, nothing is committed, upstream is closed through onAbort.
     *
     * @param evenWhileCommitting whether a fill already committing may fail too (only its own writer may)
     * @return whether this call failed it
     */
    boolean fail(final IOException cause, final boolean evenWhileCommitting) {
        final boolean deleteTemp;
        lock.lock();
        try {
            if (state != State.BEGUN && !(evenWhileCommitting && state == State.COMMITTING)) {
                return false;
            }
            failure = cause;
            state = State.FAILED;
            releaseLeaderSlot();
            deleteTemp = openReaders == 0 && writerDone;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (deleteTemp) {
            deleteTemp();
        }
        ended();
        if (abortRun.compareAndSet(false, true)) {
            runQuietly(onAbort);
        }
        return true;
    }

    void writerFinished() {
        final boolean deleteTemp;
        lock.lock();
        try {
            writerDone = true;
            deleteTemp = openReaders == 0 && state == State.FAILED;
        } finally {
            lock.unlock();
        }
        if (deleteTemp) {
            deleteTemp();
        }
    }

    private void releaseLeaderSlot() {
        if (leaderSlot) {
            leaderSlot = false;
            openReaders--;
        }
    }

    private void ended() {
        host.ended(this);
    }

    private void deleteTemp() {
        try {
            Files.deleteIfExists(tempFile); // gone already if it was renamed into place
        } catch (final IOException e) {
            LOG.debug("Cannot delete temp file {}: {}", tempFile, e.toString());
        }
    }

    private static void runQuietly(final Runnable action) {
        if (action == null) {
            return;
        }
        try {
            action.run();
        } catch (final RuntimeException e) {
            LOG.debug("onAbort threw {}", e.toString());
        }
    }

    static void closeQuietly(final AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (final Exception e) {
            // closing after a failure; the failure itself has been reported
        }
    }

    @Override
    public String toString() {
        return "InFlightFill[" + key + ", " + state + ", " + bytesOnDisk + " bytes]";
    }
}
