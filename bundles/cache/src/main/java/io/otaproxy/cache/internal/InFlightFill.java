package io.otaproxy.cache.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import io.otaproxy.api.cache.EntryMeta;
import io.otaproxy.api.stats.FillProgress;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared state of one download into the cache: {@code NEW → BEGUN → COMMITTING → COMMITTED}, or it ends
 * {@code FAILED} / {@code ABANDONED}. One lock guards the state; the writer holds it only to publish progress
 * and readers only to look at it, so neither ever waits on the other's I/O. This class is the state machine and
 * the rendezvous of leader, writer and readers; the parts it drives under its lock are classes of their own: who
 * reads ({@link FillReaders}), how far the body came and what readers may see of it ({@link FillExtent}), the bytes
 * that bypass the disk ({@link RelayWindow}), the temp file's life ({@link FillTempFile}) and the waiters that
 * hold no thread ({@link FillWakeups}).
 *
 * <p>Integrity rule ({@link FillExtent}): until the body is verified, readers see at most {@code length - 1} bytes
 * (or {@code received - 1} while the length is unknown). A client can then never receive a complete body that later
 * turns out to be wrong; it sees an error instead of the last byte. Verification (length and sha256) ends
 * {@code BEGUN}: from {@code COMMITTING} on the whole body is readable, while the writer makes it durable and an
 * entry. No client waits for fsync; a crash before the commit only loses the entry, never a byte a client got.
 *
 * <p>When the fill can no longer write to disk (the hard limit was crossed, or a write failed, ENOSPC included)
 * it goes {@code BEGUN → RELAYING → RELAYED}: what is on disk stays readable from the temp file, and the rest
 * reaches the attached readers through a bounded {@link RelayWindow} that the slowest of them paces. Such a fill
 * is never committed and no longer joinable; its temp file goes when its last reader closes. A failed commit
 * ends the same way, {@code COMMITTING → RELAYED}, with every byte on disk. So the cache's disk never fails a
 * client whose download had started.
 *
 * <p>Waiting comes in two kinds. A thread may block ({@link #awaitBegun}, {@link #awaitReadable}); or a caller
 * leaves a callback ({@link #whenBegun}, {@link #whenReadable}) and holds no thread: every change of state or
 * progress marks the waiters for a wake-up, and the callbacks of those that can go on run right after the lock
 * is released, on the thread that made the change, never under the lock.
 */
final class InFlightFill {

    enum State { NEW, BEGUN, RELAYING, COMMITTING, COMMITTED, RELAYED, FAILED, ABANDONED }

    /** A writer waiting for room re-checks at least this often, so expired holds are noticed. */
    private static final long WAIT_SLICE_MILLIS = 200;

    private static final Logger LOG = LoggerFactory.getLogger(InFlightFill.class);

    private final String key;
    private final FillHost host;
    private final long createdMillis;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final AtomicBoolean abortRun = new AtomicBoolean();
    private final FillReaders readers = new FillReaders(); // guarded by lock
    private final FillWakeups wakeups = new FillWakeups(); // guarded by lock
    private final FillExtent extent = new FillExtent(); // guarded by lock
    private boolean leaderPinned; // guarded by lock: the key is pinned for the leader until it opens its reader
    private boolean unread; // guarded by lock: runs to its end for the cache, read or not (see runToEnd)

    private volatile State state = State.NEW; // written under lock
    private EntryMeta meta;
    private FillTempFile temp; // set at begin
    private IOException failure;
    private Runnable onAbort;
    private FillWriter writer; // guarded by lock: set at begin
    private boolean writerDone;
    private volatile boolean superseded;
    private boolean writerWaiting;

    InFlightFill(final String key, final FillHost host, final long createdMillis) {
        this.key = key;
        this.host = host;
        this.createdMillis = createdMillis;
    }

    String key() {
        return key;
    }

    /** Under the lock: wakes the blocked threads, and marks the callback waiters to be checked at unlock. */
    private void signal() {
        changed.signalAll();
        wakeups.markPending();
    }

    /**
     * Releases the lock; when this is the outermost hold and something changed, first takes the callbacks of the
     * waiters that may go on, then runs them with the lock released.
     */
    private void unlock() {
        final List<Runnable> ready = lock.getHoldCount() == 1
                ? wakeups.takeReady(state != State.NEW, this::readiness) : null;
        lock.unlock();
        FillWakeups.run(ready);
    }

    long bytesOnDisk() {
        return extent.onDisk();
    }

    EntryMeta meta() {
        lock.lock();
        try {
            return meta;
        } finally {
            unlock();
        }
    }

    /**
     * The response head of a fill that is downloading or whole (with its verified length once known), or null
     * before it began and after it failed or stopped caching.
     */
    EntryMeta headIfBegun() {
        lock.lock();
        try {
            switch (state) {
                case BEGUN:
                    return meta;
                case COMMITTING:
                case COMMITTED:
                    final long verified = extent.verifiedLength();
                    return meta.length() == verified ? meta : meta.withLength(verified);
                default:
                    return null;
            }
        } finally {
            unlock();
        }
    }

    /** Whether a new request may join: running, or not begun and younger than the begin timeout. */
    boolean isJoinable(final long nowMillis, final long beginTimeoutMillis) {
        final State s = state;
        return s == State.BEGUN || s == State.COMMITTING || s == State.COMMITTED
                || s == State.NEW && nowMillis - createdMillis < beginTimeoutMillis;
    }

    /**
     * Whether the fill stopped writing to disk and still downloads: new requests for its key are relayed, not
     * joined. Once relayed to its end it no longer counts: the next request may start a fill of its own.
     */
    boolean isRelaying() {
        return state == State.RELAYING;
    }

    // ---- leader

    /**
     * NEW → BEGUN: the leader's response head has arrived; the returned writer takes the body. A fill dropped
     * before the leader came back (stale, or the store closed) gets a writer that takes nothing; the leader's
     * {@link #newReader} says why.
     */
    io.otaproxy.api.cache.Fill.Writer begin(final EntryMeta m, final Runnable abortAction) {
        Objects.requireNonNull(m, "meta");
        FillSink out = null;
        IOException openFailure = null;
        final FillWriter begun;
        lock.lock();
        try {
            if (state == State.NEW) {
                meta = m;
                onAbort = abortAction;
                temp = new FillTempFile(host, key);
                try {
                    // created before BEGUN is visible, so a reader opened right after begin finds the file
                    out = temp.open();
                } catch (final IOException e) {
                    openFailure = e; // no disk for this fill: its readers get the whole body through memory
                }
                // the leader counts as a reader until it opens its own: a joiner hanging up in between
                // must not abort the download the leader's client is about to read
                readers.reserveLeaderSlot();
                // and what the fill becomes is kept for it: a small body can be committed, and the entry evicted,
                // before the leader's client opens it
                leaderPinned = true;
                host.pin(key);
                state = State.BEGUN;
                if (openFailure != null) {
                    startRelaying(0);
                }
                begun = new FillWriter(this, m, out, host);
                writer = begun;
                signal();
            } else if (state != State.ABANDONED) {
                throw new IllegalStateException("Fill of " + key + " already begun");
            } else {
                begun = null;
            }
        } finally {
            unlock();
        }
        if (begun == null) {
            return FillWriter.dropped(); // the caller still holds its body and may relay it: no abort here
        }
        if (openFailure != null) {
            host.writeFailed("Cannot create a temp file for " + key, openFailure);
            LOG.warn("Fill of {} relays its body without caching it: cannot create its temp file ({})", key,
                    openFailure.toString());
        }
        return begun;
    }

    /**
     * Watchdog: fails the fill if its leader's writer has been silent, with no call in progress, for
     * {@code nanos}: a leader that went away without ending the body must not keep readers waiting forever.
     *
     * @return whether it failed the fill
     */
    boolean failIfWriterSilent(final long nanos) {
        final FillWriter w;
        lock.lock();
        try {
            w = state == State.BEGUN || state == State.RELAYING ? writer : null;
        } finally {
            unlock();
        }
        if (w == null || !w.silentFor(nanos)) {
            return false;
        }
        w.abandonSilent("no bytes from the leader for " + TimeUnit.NANOSECONDS.toSeconds(nanos) + " s");
        return true;
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
            signal();
        } finally {
            unlock();
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
            unlock();
        }
    }

    /** Runs {@code callback} once the fill has begun or been abandoned: now, if it has. Holds no thread. */
    void whenBegun(final Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        lock.lock();
        try {
            if (state == State.NEW) {
                wakeups.awaitBegin(callback);
                return;
            }
        } finally {
            unlock();
        }
        FillWakeups.run(callback);
    }

    /** Whether the fill left NEW by beginning (whatever came after), not by being abandoned. */
    boolean isBegun() {
        final State s = state;
        return s != State.NEW && s != State.ABANDONED;
    }

    /** Waits until the fill has ended one way or another; true if it has. */
    boolean awaitEnd(final long timeoutMillis) throws InterruptedException {
        long nanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        lock.lockInterruptibly();
        try {
            while (state == State.NEW || state == State.BEGUN || state == State.RELAYING
                    || state == State.COMMITTING) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = changed.awaitNanos(nanos);
            }
            return true;
        } finally {
            unlock();
        }
    }

    // ---- joiners

    /** A joiner got a handle: until it opens its reader or gives up, the bytes it will need are kept. */
    void holdForJoiner() {
        lock.lock();
        try {
            readers.holdForJoiner();
        } finally {
            unlock();
        }
    }

    void releaseJoinHold() {
        final boolean deleteTemp;
        lock.lock();
        try {
            readers.releaseJoinHold();
            deleteTemp = drained();
            signal(); // a relaying writer may be waiting for room this joiner no longer needs
        } finally {
            unlock();
        }
        if (deleteTemp) {
            deleteTemp();
        }
    }

    /**
     * The leader will not open its reader: its slot and pin go, and with nobody else reading (and the fill not to
     * run to its end) the download stops, as when a last reader leaves.
     */
    void releaseLeader() {
        final boolean abort;
        final boolean deleteTemp;
        lock.lock();
        try {
            releaseLeaderPin(); // kept past a commit for a reader that now will not come
            if (!readers.hasLeaderSlot()) {
                return; // opened its reader already, or the fill ended
            }
            readers.releaseLeaderSlot();
            abort = nobodyLeft();
            deleteTemp = drained();
            signal();
        } finally {
            unlock();
        }
        if (abort && fail(new IOException("The leader's client left before reading the download"), false)) {
            LOG.debug("Fill of {} aborted: its leader left without reading and nobody else reads it", key);
        }
        if (deleteTemp) {
            deleteTemp();
        }
    }

    // ---- readers

    FillBodyReader newReader(final boolean leader) throws IOException {
        final FillBodyReader reader;
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
                    if (extent.lostStart()) {
                        throw new IOException("Fill of " + key + " stopped writing to disk and no longer holds"
                                + " the bytes from " + extent.diskEnd());
                    }
                    // opened under the lock so the commit's rename cannot slip between choosing and opening;
                    // none when nothing of the body is on disk
                    final Path readPath = temp.readPath();
                    final FileChannel channel = readPath == null || extent.diskEnd() == 0 ? null
                            : FileChannel.open(readPath, StandardOpenOption.READ);
                    reader = new FillBodyReader(this, channel);
                    readers.opened(reader, leader);
                    if (leader && leaderPinned) {
                        leaderPinned = false; // the leader's pin becomes its reader's
                    } else {
                        host.pin(key);
                    }
            }
        } finally {
            unlock();
        }
        return reader;
    }

    /**
     * Waits until bytes at {@code position} may be read, and notes that {@code reader} needs nothing before it.
     *
     * @return the readable limit (greater than position), or -1 at the end of a whole, verified body
     */
    long awaitReadable(final long position, final FillBodyReader reader) throws IOException, InterruptedException {
        lock.lockInterruptibly();
        try {
            reader.mark(position);
            if (writerWaiting) {
                signal(); // the window may have room now
            }
            long limit;
            while ((limit = probe(position, reader)) == 0) {
                changed.await();
            }
            return limit;
        } finally {
            unlock();
        }
    }

    /**
     * As {@link #awaitReadable}, without waiting: 0 when nothing at {@code position} may be read yet.
     */
    long readableNow(final long position, final FillBodyReader reader) throws IOException {
        lock.lock();
        try {
            reader.mark(position);
            if (writerWaiting) {
                signal(); // the window may have room now
            }
            return probe(position, reader);
        } finally {
            unlock();
        }
    }

    /**
     * Runs {@code callback} once bytes at {@code position} may be read, the body ended, or the fill failed: now,
     * on this thread, if so already. Replaces an earlier callback of the same reader that has not run.
     */
    void whenReadable(final long position, final FillBodyReader reader, final Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        lock.lock();
        try {
            reader.mark(position);
            if (writerWaiting) {
                signal(); // the window may have room now
            }
            if (!reader.isClosed() && readiness(position) == 0) {
                reader.waitFor(position, callback);
                wakeups.awaitBytes(reader);
                return;
            }
        } finally {
            unlock();
        }
        FillWakeups.run(callback);
    }

    /** Under the lock: the readable limit (above position), -1 at the end, 0 to wait; throws when failed. */
    private long probe(final long position, final FillBodyReader reader) throws IOException {
        if (reader.isClosed()) {
            throw new IOException("Reader closed");
        }
        if (state == State.FAILED) {
            throw new IOException("Fill of " + key + " failed: " + failure.getMessage(), failure);
        }
        return readiness(position);
    }

    /** Under the lock: as {@link #probe}, but a failed fill answers 1 (ready: the read will throw). */
    private long readiness(final long position) {
        final State s = state;
        if (s == State.FAILED) {
            return 1;
        }
        final long limit = extent.readableLimit(s, meta.length());
        if (position < limit) {
            return limit;
        }
        if (s == State.COMMITTED || s == State.COMMITTING || s == State.RELAYED) {
            return -1; // verified and whole: its end needs no commit
        }
        return 0;
    }

    /** Where the bytes on disk end: positions from here on are read from memory. MAX_VALUE while writing. */
    long diskEnd() {
        return extent.diskEnd();
    }

    /** Copies bytes the disk did not get; {@code position} is readable (below the limit of awaitReadable). */
    int readWindow(final long position, final byte[] buffer, final int offset, final int length) throws IOException {
        lock.lock();
        try {
            return extent.copy(position, buffer, offset, length, key);
        } finally {
            unlock();
        }
    }

    void readerClosed(final FillBodyReader reader) {
        final boolean abort;
        final boolean deleteTemp;
        lock.lock();
        try {
            readers.closed(reader);
            wakeups.forget(reader);
            abort = nobodyLeft();
            deleteTemp = drained();
            signal(); // a thread of this reader may be waiting, and so may the writer for room
        } finally {
            unlock();
        }
        host.unpin(key);
        if (abort && fail(new IOException("Every reader left before the download finished"), false)) {
            LOG.debug("Fill of {} aborted: every reader left after {} bytes", key, extent.onDisk());
        }
        if (deleteTemp) {
            deleteTemp();
        }
    }

    /**
     * The download runs to its end whoever reads it, while it is written to disk (a fill that went to memory only
     * still ends when nobody reads it). Asked by the leader, its slot and pin go too, so its reader, if any, counts
     * as a joiner's.
     */
    void runToEnd(final boolean byLeader) {
        lock.lock();
        try {
            if (state != State.BEGUN && state != State.RELAYING) {
                return;
            }
            unread = true;
            if (byLeader) {
                readers.releaseLeaderSlot();
                releaseLeaderPin();
            }
            signal();
        } finally {
            unlock();
        }
    }

    // ---- writer

    boolean isRunning() {
        final State s = state;
        return s == State.BEGUN || s == State.RELAYING;
    }

    void published(final long total) {
        lock.lock();
        try {
            extent.grew(total);
            temp.grew(total);
            signal();
        } finally {
            unlock();
        }
    }

    /**
     * Stops writing to disk after {@code onDisk} bytes: from here on the body goes through memory only, the fill
     * is no longer joinable and will not be committed.
     *
     * @return false if the fill is not running (aborted meanwhile)
     */
    boolean stopWriting(final long onDisk, final String why) {
        final int attached;
        lock.lock();
        try {
            if (state != State.BEGUN) {
                return false;
            }
            startRelaying(onDisk);
            attached = readers.openCount();
            signal();
        } finally {
            unlock();
        }
        LOG.warn("Fill of {} stops writing to disk after {} bytes ({}); it will not be cached, and its {} readers"
                + " get the rest through memory", key, onDisk, why, attached);
        return true;
    }

    private void startRelaying(final long onDisk) {
        state = State.RELAYING;
        extent.stopDisk(onDisk, new RelayWindow(onDisk, host.relayWindowBytes(), host.relayBudget()));
    }

    /**
     * Hands {@code length} bytes of the body to the readers through the window, waiting while it is full: the
     * slowest reader sets the pace, and the writer reads upstream no faster.
     *
     * @return false if the fill ended meanwhile (failed, or every reader left): stop reading upstream
     */
    boolean relay(final byte[] chunk, final int start, final int length) {
        int offset = 0;
        String abandonedBecause = null;
        lock.lock();
        try {
            final RelayWindow window = extent.window();
            while (state == State.RELAYING) {
                if (offset == length) {
                    return true;
                }
                final long floor = readers.floor(extent.diskEnd());
                if (floor < 0 && window.room() < length - offset) {
                    abandonedBecause = "Every reader left before the download finished";
                    break;
                }
                if (floor >= 0) {
                    // always, not only when this window is full: what its readers are past goes back to the
                    // store's budget, which other fills may be waiting for
                    window.discardBefore(floor);
                }
                final int n = window.appendUpTo(chunk, start + offset, length - offset);
                if (n > 0) {
                    offset += n;
                    signal();
                    continue;
                }
                if (wakeups.isPending()) {
                    unlock(); // the readers waiting by callback must read before the window has room
                    lock.lock();
                    continue;
                }
                writerWaiting = true;
                try {
                    changed.await(WAIT_SLICE_MILLIS, TimeUnit.MILLISECONDS);
                } finally {
                    writerWaiting = false;
                }
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            abandonedBecause = "Interrupted while relaying";
        } finally {
            unlock();
        }
        if (abandonedBecause != null) {
            fail(new IOException(abandonedBecause), false);
        }
        return false;
    }

    /** RELAYING → RELAYED: the whole body went to the readers and was verified; nothing is committed. */
    void relayed(final long total) {
        lock.lock();
        try {
            if (state != State.RELAYING) {
                return;
            }
            extent.relayed(total);
            state = State.RELAYED;
            signal();
        } finally {
            unlock();
        }
        LOG.info("Fill of {} relayed to its end ({} bytes) without being cached", key, total);
        ended(); // writerFinished follows and deletes the temp file if no reader holds it
    }

    /**
     * BEGUN → COMMITTING: the body of {@code total} bytes is on disk and verified, so readers may have all of it
     * now; making it durable and an entry follows. False if the fill was aborted meanwhile. Once committing, no
     * reader can abort it.
     */
    boolean verified(final long total) {
        lock.lock();
        try {
            if (state != State.BEGUN) {
                return false;
            }
            extent.verified(total);
            state = State.COMMITTING;
            signal();
            return true;
        } finally {
            unlock();
        }
    }

    boolean isCommitting() {
        return state == State.COMMITTING;
    }

    /** The store dropped this verified fill before it became an entry: it must not become one. Returns true. */
    boolean supersede() {
        superseded = true;
        return true;
    }

    boolean superseded() {
        return superseded;
    }

    /** Renames the temp file into place; under the lock so new readers open either name, never neither. */
    void moveInto(final Path dataFile) throws IOException {
        lock.lock();
        try {
            temp.moveInto(dataFile);
        } finally {
            unlock();
        }
    }

    void committed(final EntryMeta finalMeta) {
        lock.lock();
        try {
            meta = finalMeta;
            extent.committed(finalMeta.length());
            state = State.COMMITTED;
            readers.releaseLeaderSlot();
            signal();
        } finally {
            unlock();
        }
        ended();
    }

    /** The temp file became an entry: its bytes are the index's now, no longer this fill's. */
    void movedIntoIndex() {
        lock.lock();
        try {
            temp.becameEntry();
        } finally {
            unlock();
        }
    }

    /**
     * COMMITTING → RELAYED: the body is whole and verified, but could not be made an entry (fsync, rename or
     * journal failed). The readers read it to its end from the descriptors they hold; nothing is cached.
     */
    void commitFailed(final long total) {
        lock.lock();
        try {
            if (state != State.COMMITTING) {
                return;
            }
            extent.wholeOnDiskOnly(total);
            state = State.RELAYED;
            signal();
        } finally {
            unlock();
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
            if (state != State.BEGUN && state != State.RELAYING
                    && !(evenWhileCommitting && state == State.COMMITTING)) {
                return false;
            }
            failure = cause;
            state = State.FAILED;
            extent.closeWindow(); // no read succeeds after a failure: its bytes go back to the budget
            readers.releaseLeaderSlot();
            releaseLeaderPin(); // a failed fill is no entry to keep
            deleteTemp = drained();
            signal();
        } finally {
            unlock();
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
            deleteTemp = drained();
        } finally {
            unlock();
        }
        if (deleteTemp) {
            deleteTemp();
        }
    }

    /**
     * Maintenance: once a fill that will not be committed is done and no reader is promised any more, its temp file
     * goes when no open reader holds it (a reader releasing its promise deletes it itself; this catches the rest).
     *
     * @return whether the temp file is gone (nothing more to sweep)
     */
    boolean sweep() {
        final boolean deleteTemp;
        lock.lock();
        try {
            if (state == State.COMMITTED || state == State.ABANDONED || temp != null && temp.isDeleted()) {
                return true; // renamed into place, or never created
            }
            if (state != State.FAILED && state != State.RELAYED || !writerDone || readers.holdsLive()) {
                return false;
            }
            readers.releaseLeaderSlot();
            releaseLeaderPin();
            deleteTemp = readers.count() == 0;
        } finally {
            unlock();
        }
        if (deleteTemp) {
            deleteTemp();
        }
        return deleteTemp;
    }

    /** Under the lock: the leader will not open its reader; the pin taken for it at begin goes. */
    private void releaseLeaderPin() {
        if (leaderPinned) {
            leaderPinned = false;
            host.unpin(key);
        }
    }

    /**
     * Under the lock: the download is running and nobody reads it nor will: no reader, and neither a fill to finish
     * for the cache (always-finish, or asked to run to its end) nor a relay with readers still promised.
     */
    private boolean nobodyLeft() {
        return readers.count() == 0 && (state == State.BEGUN && !host.alwaysFinish() && !unread
                || state == State.RELAYING && !readers.holdsLive());
    }

    /** Under the lock: whether nobody can read the temp file any more. */
    private boolean drained() {
        return readers.count() == 0 && writerDone
                && (state == State.FAILED || state == State.RELAYED && !readers.holdsLive());
    }

    private void ended() {
        host.ended(this);
    }

    private void deleteTemp() {
        final long claimed;
        lock.lock();
        try {
            claimed = temp.claimDeletion();
            if (claimed >= 0) {
                extent.closeWindow(); // nobody reads this fill any more
            }
        } finally {
            unlock();
        }
        if (claimed >= 0) {
            temp.delete(claimed);
        }
    }

    // ---- for tests

    State state() {
        return state;
    }

    /** Bytes held in memory for readers now. */
    long relayBufferedBytes() {
        lock.lock();
        try {
            return extent.buffered();
        } finally {
            unlock();
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

    /**
     * A snapshot for the status page: the body bytes received so far (on disk, or through the relay window once
     * writing to disk stopped), the announced length, and the clients reading it now.
     *
     * @param startedAtMillis the wall-clock time to report as its start
     */
    FillProgress progress(final long startedAtMillis) {
        lock.lock();
        try {
            final State s = state;
            final String phase = switch (s) {
                case NEW -> "waiting";
                case BEGUN -> "downloading";
                case RELAYING, RELAYED -> "relaying";
                case COMMITTING, COMMITTED -> "committing";
                case FAILED -> "failed";
                case ABANDONED -> "abandoned";
            };
            return new FillProgress(key, phase, extent.received(s), meta == null ? -1 : meta.length(), readers.openCount(),
                    startedAtMillis);
        } finally {
            unlock();
        }
    }

    /** When the fill was opened, on the store's clock. */
    long createdMillis() {
        return createdMillis;
    }

    @Override
    public String toString() {
        return "InFlightFill[" + key + ", " + state + ", " + extent.onDisk() + " bytes]";
    }
}
