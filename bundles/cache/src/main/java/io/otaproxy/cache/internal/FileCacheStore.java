package io.otaproxy.cache.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import io.otaproxy.api.cache.CacheEntry;
import io.otaproxy.api.cache.CacheStore;
import io.otaproxy.api.cache.EntryMeta;
import io.otaproxy.api.cache.Fill;
import io.otaproxy.api.eviction.EvictionPolicy;
import io.otaproxy.api.space.CacheUsage;
import io.otaproxy.api.space.DiskMonitor;
import io.otaproxy.api.space.SpaceZone;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache store on one directory, without OSGi: lookups, fills in flight and their threads, eviction, and an
 * orderly close. The component opens one per configured directory and closes it on a change of directory or on
 * stop. It also reports its own size ({@link CacheUsage}) exactly, from the index and the fills' temp bytes.
 *
 * <p>Threads: none for downloads (a fill's leader pushes the body on its own thread, see {@link FillWriter}), and
 * one maintenance thread that runs the start-up scan, then every flush interval writes access times, drops leaders
 * that never began and fails fills whose writer went silent, deletes what relayed fills left, evicts when space
 * is short, and compacts the journal when due. A commit also asks the maintenance thread for an eviction check,
 * so the cache does not overshoot its cap for a whole interval. A hit does none of this: it reads the in-memory
 * index and queues its access time.
 *
 * <p>Space: above the hard limit, or for a while after a disk write failed, {@link #fill} returns null and the
 * proxy relays; running fills stop writing and relay the rest of their body to their readers (see
 * {@link InFlightFill}). Both end by themselves when the disk recovers.
 */
final class FileCacheStore implements CacheStore, CacheUsage {

    private static final Logger LOG = LoggerFactory.getLogger(FileCacheStore.class);
    /** A data file kept open for its readers is closed after this long without one. */
    private static final long OPEN_FILE_IDLE_NANOS = TimeUnit.SECONDS.toNanos(5);

    /** Superseded journal records tolerated before a rewrite at runtime (~10 MB of journal). */
    private static final long COMPACT_MIN_GARBAGE = 100_000;

    private final StoreLayout layout;
    private final StoreTunables tunables;
    private final Supplier<DiskMonitor> disk;
    private final LongSupplier clock;
    private final DiskErrors diskErrors = new DiskErrors();
    private final EvictionReporter eviction = new EvictionReporter();
    private final EntryPins pins = new EntryPins();
    private final AtomicLong tempBytes = new AtomicLong();
    private final RelayBudget relayBudget;
    private final EntryIndex index;
    private final Evictor evictor;
    private final FillSink.Factory sinks;
    private final ConcurrentHashMap<String, InFlightFill> inFlight = new ConcurrentHashMap<>();
    /** Fills that ended without a commit and whose temp file a reader may still hold. */
    private final Set<InFlightFill> draining = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean evictionQueued = new AtomicBoolean();
    private final ScheduledExecutorService maintenance =
            Executors.newSingleThreadScheduledExecutor(new DaemonThreads("ota-proxy-cache-maintenance"));
    private final AtomicBoolean closed = new AtomicBoolean();
    private final StoreCounters counters = new StoreCounters();
    private final FillHost host = new Host();
    private StartupScan scan;
    private volatile boolean alwaysFinish;
    private volatile ExternalCaches external = new ExternalCaches(java.util.List.of());
    /** Clock time until which no new fill starts, after a disk write failed. */
    private volatile long writesRefusedUntil = Long.MIN_VALUE;

    private FileCacheStore(final Path cacheDir, final StoreTunables tunables, final boolean alwaysFinish,
            final Supplier<DiskMonitor> disk, final LongSupplier clock, final FillSink.Factory sinks) {
        this.layout = new StoreLayout(cacheDir);
        this.tunables = tunables;
        this.alwaysFinish = alwaysFinish;
        this.disk = disk;
        this.clock = clock;
        this.sinks = sinks;
        this.relayBudget = new RelayBudget(tunables.relayBudgetBytes());
        this.index = new EntryIndex(layout, clock, eviction, diskErrors, pins);
        this.evictor = new Evictor(index, eviction, this::pinned, this::usedBytes, disk, clock);
    }

    /** Opens the store on {@code cacheDir}: recovers the index, then starts the background work. */
    static FileCacheStore open(final Path cacheDir, final StoreTunables tunables, final boolean alwaysFinish,
            final Supplier<DiskMonitor> disk, final LongSupplier clock) throws IOException {
        return open(cacheDir, tunables, alwaysFinish, disk, clock, FillSink.FILES);
    }

    /** As {@link #open(Path, StoreTunables, boolean, Supplier, LongSupplier)}, writing fills through {@code sinks}. */
    static FileCacheStore open(final Path cacheDir, final StoreTunables tunables, final boolean alwaysFinish,
            final Supplier<DiskMonitor> disk, final LongSupplier clock, final FillSink.Factory sinks)
            throws IOException {
        final FileCacheStore store = new FileCacheStore(cacheDir, tunables, alwaysFinish, disk, clock, sinks);
        try {
            store.start();
        } catch (final IOException | RuntimeException e) {
            store.maintenance.shutdownNow();
            throw e;
        }
        return store;
    }

    private void start() throws IOException {
        final long t0 = System.nanoTime();
        final StoreRecovery.Result r = index.recover();
        LOG.info("Opened cache store in {} in {} ms: {} entries from {} journal records{}, {} temp files deleted",
                layout.base(), (System.nanoTime() - t0) / 1_000_000, index.size(), r.journalRecords(),
                r.corruptJournal() ? " (corrupt journal: data dropped)" : r.tornTail() ? " (torn last line skipped)"
                        : "", r.tempFiles());
        scan = new StartupScan(index, layout, r, closed::get);
        maintenance.execute(scan);
        maintenance.scheduleWithFixedDelay(this::maintain, tunables.flushIntervalMillis(),
                tunables.flushIntervalMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public CacheEntry find(final String key) {
        KeyFormat.requireValid(key);
        if (closed.get()) {
            return null;
        }
        final StoredEntry entry = index.get(key);
        if (entry != null) {
            index.recordAccess(entry);
        }
        return entry;
    }

    @Override
    public CacheEntry findExternal(final String fileSha256) {
        KeyFormat.requireValid(fileSha256);
        return closed.get() ? null : external.find(fileSha256);
    }

    /** Replaces the external read-only caches; takes effect for the next lookup. */
    void externalCaches(final ExternalCaches caches) {
        external = caches;
    }

    @Override
    public Fill fill(final String key) {
        KeyFormat.requireValid(key);
        final long now = clock.getAsLong();
        if (closed.get() || aboveHardLimit() || now < writesRefusedUntil) {
            return null;
        }
        while (true) {
            final InFlightFill existing = inFlight.get(key);
            if (existing != null && existing.isRelaying()) {
                return null; // it stopped writing to disk: not joinable, and a new fill would fail the same way
            }
            if (existing != null && existing.isJoinable(now, tunables.beginTimeoutMillis())) {
                return new FillHandle(existing, false);
            }
            final InFlightFill created = new InFlightFill(key, host, now);
            final boolean won = existing == null ? inFlight.putIfAbsent(key, created) == null
                    : inFlight.replace(key, existing, created);
            if (!won) {
                continue; // another caller got there first: join theirs
            }
            if (existing != null && existing.abandonIfStale(now, tunables.beginTimeoutMillis())) {
                LOG.warn("Dropped the fill of {}: its leader neither began nor abandoned it", key);
            }
            if (closed.get()) { // raced with close(), which may not have seen this fill
                created.abandon();
                return null;
            }
            return new FillHandle(created, true);
        }
    }

    @Override
    public EntryMeta inFlightMeta(final String key) {
        KeyFormat.requireValid(key);
        final InFlightFill fill = inFlight.get(key);
        return fill == null ? null : fill.headIfBegun();
    }

    @Override
    public CacheEntry refresh(final String key, final EntryMeta confirmed) {
        KeyFormat.requireValid(key);
        if (closed.get()) {
            return null;
        }
        try {
            return index.refresh(key, confirmed);
        } catch (final IOException e) {
            diskErrors.report("Cannot record the refreshed headers of " + key, e);
            return index.get(key); // the entry and its old headers stay as they were
        }
    }

    @Override
    public boolean remove(final String key) {
        KeyFormat.requireValid(key);
        if (closed.get()) {
            return false;
        }
        // A download that is whole but not yet an entry counts as cached: it is dropped too, so the next fill
        // of the key starts afresh instead of joining it, and it will not become an entry: its commit looks at
        // the mark under the key's lock, and the index's removal takes that lock, so either the commit sees the
        // mark or the removal sees the entry.
        final InFlightFill committing = inFlight.get(key);
        final boolean superseded = committing != null && committing.isCommitting()
                && inFlight.remove(key, committing) && committing.supersede();
        return index.remove(key) || superseded;
    }

    /** The cache's bytes on disk: committed entries and the temp files of fills. No I/O. */
    @Override
    public long usedBytes() {
        return index.committedBytes() + tempBytes.get();
    }

    private boolean aboveHardLimit() {
        final DiskMonitor monitor = disk.get();
        return monitor != null && monitor.current().zone() == SpaceZone.ABOVE_HARD;
    }

    /** Whether eviction must leave {@code key} alone: read (open entry channel or fill reader) or being written. */
    private boolean pinned(final String key) {
        return pins.isPinned(key) || inFlight.containsKey(key);
    }

    /**
     * Switches the eviction policy (null for none): the index is replayed into the new one, with every entry's
     * journaled last access, before it is asked for anything; then space is checked under the new order.
     */
    void useEvictionPolicy(final EvictionPolicy policy) {
        eviction.use(policy, index.entries());
        requestEviction();
    }

    /** The policy in use; for tests. */
    EvictionPolicy evictionPolicy() {
        return eviction.current();
    }

    void alwaysFinish(final boolean value) {
        alwaysFinish = value;
    }

    Path directory() {
        return layout.base().getParent();
    }

    /**
     * Stops taking fills, lets running fills finish for the grace period, then fails the rest (their readers get
     * an IOException, nothing is committed), flushes access times and closes the journal. Every commit either
     * completed or left only an orphan or a temp file that the next start-up removes.
     */
    void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        LOG.info("Closing cache store in {}: {} fills in flight", layout.base(), inFlight.size());
        for (final InFlightFill f : List.copyOf(inFlight.values())) {
            f.abandonIfNew(true);
        }
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(tunables.graceMillis());
        try {
            for (final InFlightFill f : List.copyOf(inFlight.values())) {
                f.awaitEnd(Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (final InFlightFill f : List.copyOf(inFlight.values())) {
            if (f.fail(new IOException("The cache store stopped before the download finished"), false)) {
                LOG.warn("Failed the fill of {} at shutdown after {} bytes", f.key(), f.bytesOnDisk());
            }
        }
        maintenance.shutdown();
        try {
            maintenance.awaitTermination(5, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        maintenance.shutdownNow();
        eviction.use(null, index.entries()); // the policy may serve the next store: leave it nothing of ours
        index.close();
        LOG.info("Closed cache store in {}", layout.base());
    }

    // ---- for maintenance and tests

    private void maintain() {
        try {
            repairIfRemoved();
            index.flushAccesses();
            index.closeIdleFiles(OPEN_FILE_IDLE_NANOS);
            sweepStaleFills();
            draining.removeIf(InFlightFill::sweep);
            evictor.evictIfNeeded();
            index.compactIfNeeded(COMPACT_MIN_GARBAGE);
        } catch (final RuntimeException e) {
            // a scheduled task that throws is never run again: log and keep going
            LOG.error("Cache maintenance failed", e);
        }
    }

    /**
     * The cache directory can vanish under a running store (the disk monitor recreates the top directory, not the
     * store's layout). Without a repair every fill would relay and every commit go to a journal nobody can read
     * again; with it, caching resumes by itself at the next tick.
     */
    private void repairIfRemoved() {
        if (Files.isDirectory(layout.tmpDir()) && Files.exists(layout.journal())) {
            return;
        }
        try {
            final int dropped = index.rebuildAfterRemoval();
            LOG.warn("The cache directory {} was removed while in use; recreated it, {} entries went with it",
                    layout.base(), dropped);
        } catch (final IOException e) {
            diskErrors.report("Cannot recreate the cache directory " + layout.base(), e);
        }
    }

    /** Asks the maintenance thread for an eviction check soon; requests made before it runs count once. */
    private void requestEviction() {
        if (!evictionQueued.compareAndSet(false, true)) {
            return;
        }
        try {
            maintenance.execute(() -> {
                evictionQueued.set(false);
                try {
                    evictor.evictIfNeeded();
                } catch (final RuntimeException e) {
                    LOG.error("Cache eviction failed", e);
                }
            });
        } catch (final RejectedExecutionException e) {
            evictionQueued.set(false); // closing
        }
    }

    /**
     * Runs an eviction check on the maintenance thread and waits for it; for tests, which thereby also wait for
     * the checks queued before.
     *
     * @return the bytes evicted
     */
    long evictOnMaintenanceThread() throws InterruptedException, ExecutionException, TimeoutException {
        return maintenance.submit(evictor::evictIfNeeded).get(10, TimeUnit.SECONDS);
    }

    /** Closes the data files kept open that no reader used for {@code idleNanos}; maintenance does it too. */
    void closeIdleFiles(final long idleNanos) {
        index.closeIdleFiles(idleNanos);
    }

    /**
     * Waits until every fill whose body is verified has been made durable and an entry (or failed to): its readers
     * were done before that. For tests.
     */
    void awaitCommits() throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (final InFlightFill f : List.copyOf(inFlight.values())) {
            final InFlightFill.State state = f.state();
            if (state != InFlightFill.State.COMMITTING && state != InFlightFill.State.COMMITTED) {
                continue; // committed ones may not have left the map yet
            }
            f.awaitEnd(10_000);
            while (inFlight.get(f.key()) == f) { // ended, and leaving the map right after
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the commit of " + f.key() + " takes longer than 10 s");
                }
                Thread.sleep(1);
            }
        }
    }

    /** Waits until the maintenance work queued so far (eviction checks after commits included) has run. */
    void awaitMaintenance() throws InterruptedException, ExecutionException, TimeoutException {
        maintenance.submit(() -> { }).get(10, TimeUnit.SECONDS);
    }

    /** Runs one whole maintenance pass on the maintenance thread and waits for it; for tests. */
    void maintainNow() throws InterruptedException, ExecutionException, TimeoutException {
        maintenance.submit(this::maintain).get(10, TimeUnit.SECONDS);
    }

    int flushAccesses() {
        return index.flushAccesses();
    }

    boolean compactJournalIfNeeded(final long minGarbage) {
        return index.compactIfNeeded(minGarbage);
    }

    void sweepStaleFills() {
        final long now = clock.getAsLong();
        for (final InFlightFill f : inFlight.values()) {
            if (f.abandonIfStale(now, tunables.beginTimeoutMillis())) {
                LOG.warn("Dropped the fill of {}: its leader neither began nor abandoned it", f.key());
            }
            f.failIfWriterSilent(TimeUnit.MILLISECONDS.toNanos(tunables.writerSilenceMillis()));
        }
    }

    boolean awaitStartupScan(final long timeoutMillis) throws InterruptedException {
        return scan.done().await(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    int inFlightCount() {
        return inFlight.size();
    }

    /** The fills running now, for the status page. */
    java.util.Collection<InFlightFill> fillsInFlight() {
        return List.copyOf(inFlight.values());
    }

    /** The store's clock now (wall-clock time in production). */
    long clockMillis() {
        return clock.getAsLong();
    }

    StoreCounters counters() {
        return counters;
    }

    Evictor evictor() {
        return evictor;
    }

    boolean isClosed() {
        return closed.get();
    }

    EntryPins pins() {
        return pins;
    }

    EntryIndex index() {
        return index;
    }

    /** The memory all relay windows hold now and may hold; for tests. */
    RelayBudget relayBudget() {
        return relayBudget;
    }

    long tempBytes() {
        return tempBytes.get();
    }

    int size() {
        return index.size();
    }

    StoreLayout layout() {
        return layout;
    }

    /** The store's side of its fills. */
    private final class Host implements FillHost {

        @Override
        public Path newTempFile(final String key) {
            return layout.newTempFile(key);
        }

        @Override
        public FillSink openSink(final Path tempFile) throws IOException {
            try {
                return sinks.create(tempFile);
            } catch (final NoSuchFileException e) {
                // the directory was removed under us: recreate it now rather than relay until the next tick
                StoreLayout.ensureDirectory(tempFile.getParent());
                return sinks.create(tempFile);
            }
        }

        @Override
        public int relayWindowBytes() {
            return tunables.relayWindowBytes();
        }

        @Override
        public RelayBudget relayBudget() {
            return relayBudget;
        }

        @Override
        public boolean alwaysFinish() {
            return alwaysFinish;
        }

        @Override
        public boolean diskWritable() {
            return !aboveHardLimit();
        }

        @Override
        public void commit(final InFlightFill fill, final EntryMeta meta) {
            if (!fill.isCommitting()) {
                return; // failed between its verification and here (the store is closing)
            }
            try {
                if (index.commit(fill, meta) == null) {
                    fill.commitFailed(meta.length()); // dropped by remove() while it was being made durable
                    LOG.debug("Not committing {}: it was removed while being made durable", fill.key());
                    return;
                }
            } catch (final IOException e) {
                // the body is whole and verified, and its readers hold it open: they finish, nothing is cached
                writeFailed("Cannot commit " + fill.key(), e);
                fill.commitFailed(meta.length());
                return;
            }
            fill.movedIntoIndex();
            requestEviction(); // queued before the readers learn of the commit: a check always follows it
            fill.committed(meta);
            diskErrors.recovered();
            LOG.debug("Committed {} ({} bytes)", fill.key(), meta.length());
        }

        @Override
        public void ended(final InFlightFill fill) {
            inFlight.remove(fill.key(), fill);
            if (!fill.sweep()) {
                draining.add(fill);
            }
        }

        @Override
        public void diskError(final String what, final IOException e) {
            diskErrors.report(what, e);
            counters.error(what + ": " + e);
        }

        @Override
        public void integrityFailed(final String key, final String detail) {
            counters.integrityFailure(key, detail);
        }

        @Override
        public void upstreamFailed(final String key, final String detail) {
            counters.upstreamFailure(key, detail);
        }

        @Override
        public void writeFailed(final String what, final IOException e) {
            final long until = clock.getAsLong() + tunables.writeRetryMillis();
            final boolean wasRefusing = clock.getAsLong() < writesRefusedUntil;
            writesRefusedUntil = until;
            diskErrors.report(what, e);
            counters.error(what + ": " + e);
            if (!wasRefusing) {
                LOG.warn("Cache disk write failed; new downloads are relayed without caching for {} ms",
                        tunables.writeRetryMillis());
            }
        }

        @Override
        public void tempBytes(final long delta) {
            tempBytes.addAndGet(delta);
        }

        @Override
        public void pin(final String key) {
            pins.pin(key);
        }

        @Override
        public void unpin(final String key) {
            pins.unpin(key);
        }
    }
}
