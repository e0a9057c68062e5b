package io.otaproxy.cache.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

import io.otaproxy.api.cache.EntryMeta;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The committed entries: the in-memory map that lookups read, and the journal that makes it survive a restart.
 * The one owner of the rule "renamed into place, fsynced, recorded, and only then visible".
 *
 * <p>Locks: lookups take none. Changes to one key (commit, remove, drop, orphan delete) hold that key's stripe
 * lock, so a background cleanup can never delete a file that a commit just put in place. Journal appends hold
 * the read side of {@code gate} from the append until the map reflects it; a journal rewrite holds the write
 * side, so its snapshot of the map never misses a record it is about to replace.
 */
final class EntryIndex implements StoredEntry.EntryFiles {

    /**
     * Data files kept open at most, for the hottest entries: a quarter of the process's descriptor limit, between
     * 64 and 4096. An update's small files are hit over and over, and an open descriptor saves each hit an
     * {@code open}, {@code fstat} and {@code close} (with 1000 hot files and room for only 256, that churn cost a
     * fifth of the small-hit rate); the rest of the limit stays for connections.
     */
    static final int MAX_OPEN_FILES = openFileLimit(maxDescriptors());

    private static final Logger LOG = LoggerFactory.getLogger(EntryIndex.class);
    private static final int MAX_ACCESSES_PER_FLUSH = 200_000;

    private final StoreLayout layout;
    private final LongSupplier clock;
    private final EvictionReporter eviction;
    private final DiskErrors diskErrors;
    private final EntryPins pins;
    /** Entries whose file is kept open for their readers; closed when idle, dropped, or replaced. */
    private final Set<StoredEntry> openFiles = ConcurrentHashMap.newKeySet();
    private final AtomicLong committedBytes = new AtomicLong();
    private final ConcurrentHashMap<String, StoredEntry> entries = new ConcurrentHashMap<>(1 << 16);
    private final ConcurrentLinkedQueue<StoredEntry> accessed = new ConcurrentLinkedQueue<>();
    /** Keys whose file an eviction batch deleted and whose directory it has not forced yet (see commit). */
    private final Set<String> deletedUnforced = ConcurrentHashMap.newKeySet();
    private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();
    private final ReentrantLock[] stripes = new ReentrantLock[256];
    private EntryJournal journal; // set once by recover(), before the index is shared

    EntryIndex(final StoreLayout layout, final LongSupplier clock, final EvictionReporter eviction,
            final DiskErrors diskErrors, final EntryPins pins) {
        this.layout = layout;
        this.clock = clock;
        this.eviction = eviction;
        this.diskErrors = diskErrors;
        this.pins = pins;
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new ReentrantLock();
        }
    }

    /**
     * Loads what is on disk; see {@link StoreRecovery}. The journal is rewritten compactly when it has a torn
     * tail (appending after half a line would damage it mid-file) or when most of it is superseded records;
     * a clean, mostly live journal is simply appended to, which saves a rewrite of every entry at each start.
     *
     * @return what recovery found, and whether the journal was rewritten
     */
    StoreRecovery.Result recover() throws IOException {
        final StoreRecovery.Result result = new StoreRecovery(layout, this).recover(entries);
        long bytes = 0;
        for (final StoredEntry e : entries.values()) {
            bytes += e.meta().length();
        }
        committedBytes.set(bytes);
        final long garbage = result.journalRecords() - (long) entries.size();
        if (result.journalClean() && garbage <= Math.max(10_000L, entries.size() / 2)) {
            journal = EntryJournal.append(layout.journal(), layout.journalTemp(), garbage);
        } else {
            journal = EntryJournal.create(layout.journal(), layout.journalTemp(), entries.values());
        }
        return result;
    }

    StoredEntry get(final String key) {
        return entries.get(key);
    }

    int size() {
        return entries.size();
    }

    Collection<StoredEntry> entries() {
        return entries.values();
    }

    /** Bytes of the committed entries, kept exactly as entries come and go; never a walk of the files. */
    long committedBytes() {
        return committedBytes.get();
    }

    static int openFileLimit(final long maxDescriptors) {
        return (int) Math.max(64, Math.min(4096, maxDescriptors / 4));
    }

    /** The process's descriptor limit, as the JVM reports it; 1024 (a common default) when it cannot tell. */
    private static long maxDescriptors() {
        try {
            final java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory
                    .getOperatingSystemMXBean();
            if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix
                    && unix.getMaxFileDescriptorCount() > 0) {
                return unix.getMaxFileDescriptorCount();
            }
        } catch (final LinkageError e) {
            // the platform does not export com.sun.management to bundles (an optional import)
        }
        return 1024;
    }

    @Override
    public Path dataFile(final String key) {
        return layout.dataFile(key);
    }

    @Override
    public EntryPins pins() {
        return pins;
    }

    @Override
    public boolean mayKeepOpen() {
        return openFiles.size() < MAX_OPEN_FILES;
    }

    @Override
    public void keptOpen(final StoredEntry entry) {
        openFiles.add(entry);
    }

    /** Closes the files of entries no reader has used for {@code idleNanos}. Maintenance. */
    void closeIdleFiles(final long idleNanos) {
        final long cutoff = System.nanoTime() - idleNanos;
        openFiles.removeIf(e -> e.closeFileIfIdle(cutoff));
    }

    /** The entry is no longer the key's: its shared descriptor goes (readers holding it finish). */
    private void closeFile(final StoredEntry entry) {
        openFiles.remove(entry);
        entry.closeFile();
    }

    /** A hit: remembered in memory now, written to the journal and told to the policy by the next flush. */
    void recordAccess(final StoredEntry entry) {
        if (entry.touch(clock.getAsLong())) {
            accessed.add(entry);
        }
    }

    /**
     * Makes the fill's verified temp file the entry for its key: rename into place, append the commit record and
     * fsync the journal (one fsync shared with concurrent commits), then put it in the map. A crash before the
     * journal fsync leaves an unrecorded file, which start-up deletes as an orphan.
     *
     * <p>The rename's directory is not forced for a new name: on ext4 and XFS the journal fsync commits the rename
     * with it (their metadata logs commit in order), and where a file system could keep the record but lose the
     * rename, the entry's file is simply missing after the power cut: its open fails and the start-up scan drops
     * it, so it is downloaded again. A rename that replaces an older file of the key is forced first, in the
     * journal's batch: losing that one would leave the old bytes under the new record. (Deleting a key's file
     * is made durable before the key can be committed again, or the commit counts as replacing.)
     *
     * @return the new entry, or null when the fill was superseded ({@code retry_caching}) before the key's lock
     *         was taken: a removal after that point waits for the lock and finds the entry
     */
    StoredEntry commit(final InFlightFill fill, final EntryMeta meta) throws IOException {
        final String key = fill.key();
        final Path data = layout.dataFile(key);
        // last used when it was asked for, not when its commit (which may lag behind later requests) got here
        final StoredEntry entry = new StoredEntry(key, meta, Math.min(fill.createdMillis(), clock.getAsLong()), this);
        final StoredEntry old;
        final ReentrantLock stripe = stripe(key);
        stripe.lock();
        try {
            if (fill.superseded()) {
                return null;
            }
            if (StoreLayout.ensureDirectory(data.getParent())) {
                StoreLayout.forceDirectory(layout.dataDir());
            }
            // an older file of the key, present or deleted without its deletion being forced yet, must not come
            // back from a power cut under the new record
            final boolean replacing = StoreLayout.exists(data)
                    || deletedUnforced.contains(key);
            fill.moveInto(data);
            gate.readLock().lock();
            try {
                try {
                    journal.appendDurably(entry.toCommitRecord(), replacing ? data.getParent() : null);
                } catch (final IOException e) {
                    // the new file replaced any older one for the key; neither may be served now
                    deleteQuietly(data);
                    final StoredEntry replaced = entries.remove(key);
                    if (replaced != null) {
                        closeFile(replaced);
                        committedBytes.addAndGet(-replaced.meta().length());
                        eviction.removed(key);
                    }
                    throw e;
                }
                old = entries.put(key, entry);
                committedBytes.addAndGet(meta.length() - (old == null ? 0 : old.meta().length()));
            } finally {
                gate.readLock().unlock();
            }
        } finally {
            stripe.unlock();
        }
        if (old != null) {
            closeFile(old);
            eviction.removed(key);
        }
        eviction.added(entry);
        return entry;
    }

    /**
     * Gives the key's entry the headers of a response that confirmed its bytes: a new commit record for the same
     * file (no rename, no directory to force), then the map. Readers of the old entry object finish unaffected.
     *
     * @return the entry now in the map, or null when the key has none
     */
    StoredEntry refresh(final String key, final EntryMeta confirmed) throws IOException {
        final ReentrantLock stripe = stripe(key);
        final StoredEntry old;
        final StoredEntry entry;
        stripe.lock();
        try {
            old = entries.get(key);
            if (old == null) {
                return null;
            }
            entry = new StoredEntry(key, old.meta().withHeaders(confirmed.headers(), confirmed.receivedMillis()),
                    clock.getAsLong(), this);
            gate.readLock().lock();
            try {
                journal.appendDurably(entry.toCommitRecord());
                entries.put(key, entry);
            } finally {
                gate.readLock().unlock();
            }
        } finally {
            stripe.unlock();
        }
        closeFile(old);
        eviction.removed(key);
        eviction.added(entry);
        return entry;
    }

    /** Removes the entry for {@code key}: journal record first, then the file (open holders keep reading it). */
    boolean remove(final String key) {
        final ReentrantLock stripe = stripe(key);
        stripe.lock(); // a commit of the key under way is waited for: its entry is dropped, not left behind
        try {
            final StoredEntry entry = entries.get(key);
            return entry != null && drop(entry, null);
        } finally {
            stripe.unlock();
        }
    }

    /** The entry's file is missing or wrong: drop it, unless the key has been committed anew meanwhile. */
    @Override
    public void vanished(final StoredEntry entry, final String reason) {
        drop(entry, reason);
    }

    /**
     * Drops {@code entry} if it is still the key's entry.
     *
     * @param reason why, for an operator (logged at WARN), or null for a requested removal
     */
    boolean drop(final StoredEntry entry, final String reason) {
        final String key = entry.key();
        final ReentrantLock stripe = stripe(key);
        stripe.lock();
        try {
            gate.readLock().lock();
            try {
                if (entries.get(key) != entry) {
                    return false;
                }
                try {
                    journal.appendDurably(new JournalRecord.Remove(key));
                } catch (final IOException e) {
                    // still safe: the file goes below, and a record without a file is dropped at start-up
                    diskErrors.report("Cannot record the removal of " + key, e);
                }
                entries.remove(key);
                committedBytes.addAndGet(-entry.meta().length());
            } finally {
                gate.readLock().unlock();
            }
            closeFile(entry);
            final Path file = layout.dataFile(key);
            if (deleteQuietly(file)) {
                // durable before the key can be committed anew: the next commit's rename is not forced on its own
                StoreLayout.forceDirectory(file.getParent());
            }
        } finally {
            stripe.unlock();
        }
        eviction.removed(key);
        if (reason != null) {
            LOG.warn("Dropped cache entry {}: {}", key, reason);
        }
        return true;
    }

    /**
     * Evicts {@code victims}, skipping any that is pinned or no longer its key's entry: for each, under its key's
     * stripe, a removal record (written, not yet forced) and the map removal; then one fsync for the batch; then
     * the files, each only if no new entry took its key meanwhile. One fsync per batch instead of one per entry
     * matters on flash, where an eviction pass may remove thousands of entries. A journal that cannot be written
     * (the disk is full: just when eviction matters most) does not stop the eviction: a record without its file
     * is dropped at start-up.
     *
     * @return the entries removed
     */
    List<StoredEntry> evict(final List<StoredEntry> victims, final Predicate<String> pinned) {
        final List<StoredEntry> removed = new ArrayList<>(victims.size());
        boolean journalWorks = true;
        for (final StoredEntry e : victims) {
            final String key = e.key();
            final ReentrantLock stripe = stripe(key);
            stripe.lock();
            try {
                if (entries.get(key) != e || pinned.test(key)) {
                    continue;
                }
                gate.readLock().lock();
                try {
                    if (journalWorks) {
                        try {
                            journal.append(List.of(new JournalRecord.Remove(key)));
                        } catch (final IOException ex) {
                            journalWorks = false;
                            diskErrors.report("Cannot record evictions", ex);
                        }
                    }
                    entries.remove(key);
                    committedBytes.addAndGet(-e.meta().length());
                } finally {
                    gate.readLock().unlock();
                }
            } finally {
                stripe.unlock();
            }
            closeFile(e); // before its file is deleted: an open descriptor would keep the blocks
            removed.add(e);
        }
        if (removed.isEmpty()) {
            return removed;
        }
        if (journalWorks) {
            try {
                journal.sync();
            } catch (final IOException ex) {
                diskErrors.report("Cannot record evictions", ex);
            }
        }
        final Set<Path> directories = new LinkedHashSet<>();
        final List<String> deleted = new ArrayList<>(removed.size());
        for (final StoredEntry e : removed) {
            final ReentrantLock stripe = stripe(e.key());
            stripe.lock();
            try {
                final Path file = layout.dataFile(e.key());
                if (!entries.containsKey(e.key()) && deleteQuietly(file)) {
                    deletedUnforced.add(e.key());
                    deleted.add(e.key());
                    directories.add(file.getParent());
                }
            } finally {
                stripe.unlock();
            }
            eviction.removed(e.key());
        }
        // the deletions become durable once per directory and batch; until then a commit of one of these keys
        // forces its own rename (see commit)
        for (final Path dir : directories) {
            StoreLayout.forceDirectory(dir);
        }
        deleted.forEach(deletedUnforced::remove);
        return removed;
    }

    /** Deletes a data file that no entry owns, unless an entry for it has been committed meanwhile. */
    boolean deleteOrphan(final Path file) {
        final String name = file.getFileName().toString();
        if (!KeyFormat.isValid(name) || !file.getParent().equals(layout.dataFile(name).getParent())) {
            return StartupScan.deleteTreeQuietly(file); // not a name this format ever writes
        }
        final ReentrantLock stripe = stripe(name);
        stripe.lock();
        try {
            return !entries.containsKey(name) && deleteQuietly(file);
        } finally {
            stripe.unlock();
        }
    }

    /** Writes queued access times to the journal (no fsync: losing some to a power cut only blurs LRU order). */
    int flushAccesses() {
        final List<JournalRecord.Access> records = new ArrayList<>();
        for (StoredEntry e = accessed.poll(); e != null; e = accessed.poll()) {
            final long at = e.dequeueAccess();
            if (entries.get(e.key()) == e) {
                records.add(new JournalRecord.Access(e.key(), at));
            }
            if (records.size() >= MAX_ACCESSES_PER_FLUSH) {
                break; // under a storm of hits the rest waits for the next flush
            }
        }
        if (records.isEmpty()) {
            return 0;
        }
        gate.readLock().lock();
        try {
            journal.append(records);
        } catch (final IOException e) {
            diskErrors.report("Cannot record access times", e);
        } finally {
            gate.readLock().unlock();
        }
        for (final JournalRecord.Access a : records) {
            eviction.accessed(a.key(), a.accessMillis());
        }
        return records.size();
    }

    /**
     * Rewrites the journal when it holds at least {@code minGarbage} and twice as many superseded records as live
     * entries, so it never grows without bound yet is not rewritten for every few accesses.
     *
     * @return whether it was rewritten
     */
    boolean compactIfNeeded(final long minGarbage) {
        final long garbage = journal.appendedSinceRewrite();
        if (garbage < Math.max(minGarbage, 2L * entries.size())) {
            return false;
        }
        gate.writeLock().lock();
        try {
            final long t0 = System.nanoTime();
            journal.rewrite(entries.values());
            LOG.info("Compacted the cache journal to {} entries in {} ms", entries.size(),
                    (System.nanoTime() - t0) / 1_000_000);
        } catch (final IOException e) {
            diskErrors.report("Cannot compact the cache journal", e);
            return false;
        } finally {
            gate.writeLock().unlock();
        }
        return true;
    }

    /**
     * Repairs the store after its directory was removed under it (an operator's {@code rm -rf}, a wiped
     * partition): recreates the layout, drops the entries whose files went with it, and writes the journal anew,
     * since appends to the removed one would be lost. Costs a stat per entry, only in that rare event.
     *
     * @return the entries dropped
     */
    int rebuildAfterRemoval() throws IOException {
        StoreLayout.ensureDirectory(layout.dataDir());
        StoreLayout.ensureDirectory(layout.tmpDir());
        int dropped = 0;
        for (final StoredEntry e : entries.values()) {
            if (Files.exists(layout.dataFile(e.key()))) {
                continue;
            }
            final ReentrantLock stripe = stripe(e.key());
            stripe.lock();
            try {
                // no removal record: the journal is about to be written from the map
                if (!entries.remove(e.key(), e)) {
                    continue;
                }
                committedBytes.addAndGet(-e.meta().length());
                closeFile(e);
            } finally {
                stripe.unlock();
            }
            eviction.removed(e.key());
            dropped++;
        }
        gate.writeLock().lock();
        try {
            journal.rewrite(entries.values());
        } finally {
            gate.writeLock().unlock();
        }
        return dropped;
    }

    /** Flushes access times and closes the journal; the index is not used afterwards. */
    void close() {
        for (final StoredEntry e : List.copyOf(openFiles)) {
            closeFile(e);
        }
        flushAccesses();
        try {
            journal.close();
        } catch (final IOException e) {
            diskErrors.report("Cannot close the cache journal", e);
        }
    }

    /** The lock that orders commits and removals of {@code key}; a test holds it to stop a commit at its start. */
    ReentrantLock stripe(final String key) {
        return stripes[KeyFormat.prefix(key)];
    }

    private static boolean deleteQuietly(final Path file) {
        try {
            return Files.deleteIfExists(file);
        } catch (final IOException e) {
            LOG.debug("Cannot delete {}: {}", file, e.toString());
            return false;
        }
    }
}
