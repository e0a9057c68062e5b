package io.otaproxy.cache.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import io.otaproxy.api.cache.CacheEntry;
import io.otaproxy.api.cache.EntryMeta;

/**
 * A committed entry in the in-memory index. Kept small on purpose (no Path per entry): 600 000 of them live in
 * memory at once. The last access time is written by every hit without a lock and persisted lazily.
 */
final class StoredEntry implements CacheEntry {

    /**
     * What an entry needs from its store: where its file is, a way to report the file gone or wrong, and the pins
     * that keep eviction off an entry while it is read.
     */
    interface EntryFiles {
        Path dataFile(String key);

        void vanished(StoredEntry entry, String reason);

        EntryPins pins();

        /** Whether another entry may keep its file open (the number of open files is bounded). */
        boolean mayKeepOpen();

        /** The entry keeps its file open from now on, until {@link StoredEntry#closeFile} or an idle sweep. */
        void keptOpen(StoredEntry entry);
    }

    private final String key;
    private final EntryMeta meta;
    private final EntryFiles files;
    private volatile long lastAccessMillis;
    private volatile boolean accessQueued;
    private OpenFile file; // guarded by this: the descriptor readers share, or null

    StoredEntry(final String key, final EntryMeta meta, final long lastAccessMillis, final EntryFiles files) {
        this.key = key;
        this.meta = meta;
        this.lastAccessMillis = lastAccessMillis;
        this.files = files;
    }

    @Override
    public String key() {
        return key;
    }

    @Override
    public EntryMeta meta() {
        return meta;
    }

    /**
     * Opens the data file. Its size is checked against the record on the open descriptor (an fstat, nearly free):
     * that is what lets start-up skip a stat per entry and still never serve a file of the wrong size. The entry is
     * pinned (not evicted) until the returned channel is closed; the pin is taken before the file is opened, so an
     * eviction that has not yet chosen its victims will skip it.
     */
    @Override
    public FileChannel open() throws IOException {
        final EntryPins pins = files.pins();
        pins.pin(key);
        boolean handedOut = false;
        try {
            final OpenFile shared = sharedFile();
            final FileChannel channel;
            final Runnable release;
            if (shared != null) {
                channel = shared.channel();
                release = () -> {
                    shared.release();
                    pins.unpin(key);
                };
            } else {
                final FileChannel own = openChecked();
                channel = own;
                release = () -> {
                    closeQuietly(own);
                    pins.unpin(key);
                };
            }
            handedOut = true;
            return new PinnedFileChannel(channel, release);
        } finally {
            if (!handedOut) {
                pins.unpin(key);
            }
        }
    }

    /**
     * The shared descriptor with a reference taken for the caller, opened if needed; null if none may be kept.
     * The file is opened outside the entry's lock: opening may report the entry vanished, which takes the index's
     * locks, and the index takes this lock (in {@link #closeFile}) while holding its own. This lock is a leaf.
     */
    private OpenFile sharedFile() throws IOException {
        synchronized (this) {
            if (file != null && file.retain()) {
                return file;
            }
            file = null;
        }
        if (!files.mayKeepOpen()) {
            return null;
        }
        final FileChannel channel = openChecked();
        final OpenFile opened = new OpenFile(channel);
        opened.retain();
        synchronized (this) {
            if (file != null && file.retain()) {
                closeQuietly(channel); // another reader opened it meanwhile: use theirs
                return file;
            }
            file = opened;
        }
        files.keptOpen(this);
        return opened;
    }

    /**
     * Lets go of the shared descriptor (the entry was dropped, evicted or replaced, or it is idle): readers that
     * hold it finish, and the file's blocks are freed when the last of them closes.
     */
    synchronized void closeFile() {
        if (file != null) {
            file.release();
            file = null;
        }
    }

    /** Closes the shared descriptor if no reader has used it since {@code cutoffNanos}; true if none is open now. */
    synchronized boolean closeFileIfIdle(final long cutoffNanos) {
        if (file != null && file.idleSince(cutoffNanos)) {
            closeFile();
        }
        return file == null;
    }

    private static void closeQuietly(final FileChannel channel) {
        try {
            channel.close();
        } catch (final IOException e) {
            // read-only
        }
    }

    private FileChannel openChecked() throws IOException {
        final FileChannel channel;
        try {
            channel = FileChannel.open(files.dataFile(key), StandardOpenOption.READ);
        } catch (final NoSuchFileException e) {
            files.vanished(this, "data file missing");
            throw e;
        }
        final long size;
        try {
            size = channel.size();
        } catch (final IOException e) {
            channel.close();
            throw e;
        }
        if (size != meta.length()) {
            channel.close();
            files.vanished(this, "data file holds " + size + " bytes, expected " + meta.length());
            throw new IOException("Cache entry " + key + " has the wrong size; dropped");
        }
        return channel;
    }

    long lastAccessMillis() {
        return lastAccessMillis;
    }

    /** Marks a hit; true when the entry must be queued for the next access flush (it was not queued yet). */
    boolean touch(final long nowMillis) {
        lastAccessMillis = nowMillis;
        if (accessQueued) {
            return false;
        }
        accessQueued = true;
        return true;
    }

    /** Replays a journal access record at start-up. */
    void restoreAccess(final long accessMillis) {
        if (accessMillis > lastAccessMillis) {
            lastAccessMillis = accessMillis;
        }
    }

    /** Takes the entry off the access queue, then reads the time to persist (in that order; see touch). */
    long dequeueAccess() {
        accessQueued = false;
        return lastAccessMillis;
    }

    JournalRecord.Commit toCommitRecord() {
        return new JournalRecord.Commit(key, meta, lastAccessMillis);
    }

    @Override
    public String toString() {
        return "StoredEntry[" + key + ", " + meta + "]";
    }
}
