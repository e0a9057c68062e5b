package io.otaproxy.cache.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import io.otaproxy.api.cache.CacheEntry;
import io.otaproxy.api.cache.CacheStore;
import io.otaproxy.api.cache.EntryMeta;
import io.otaproxy.api.cache.Fill;
import io.otaproxy.api.eviction.EvictionPolicy;
import io.otaproxy.api.space.DiskMonitor;
import io.otaproxy.api.space.SpaceZone;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache store on one directory, without OSGi: lookups, fills in flight and their threads, and an orderly
 * close. The component opens one per configured directory and closes it on a change of directory or on stop.
 *
 * <p>Threads: one cached pool of fill writers (a writer blocks on upstream for the whole download, so they are
 * not pooled down to a fixed few), and one maintenance thread that runs the start-up scan, then every flush
 * interval writes access times, drops leaders that never began, and compacts the journal when due.
 */
final class FileCacheStore implements CacheStore {

    private static final Logger LOG = LoggerFactory.getLogger(FileCacheStore.class);
    /** Superseded journal records tolerated before a rewrite at runtime (~10 MB of journal). */
    private static final long COMPACT_MIN_GARBAGE = 100_000;

    private final StoreLayout layout;
    private final StoreTunables tunables;
    private final Supplier<DiskMonitor> disk;
    private final LongSupplier clock;
    private final DiskErrors diskErrors = new DiskErrors();
    private final EvictionReporter eviction = new EvictionReporter();
    private final EntryIndex index;
    private final ConcurrentHashMap<String, InFlightFill> inFlight = new ConcurrentHashMap<>();
    private final ExecutorService writers = Executors.newCachedThreadPool(new DaemonThreads("ota-proxy-cache-fill"));
    private final ScheduledExecutorService maintenance =
            Executors.newSingleThreadScheduledExecutor(new DaemonThreads("ota-proxy-cache-maintenance"));
    private final AtomicBoolean closed = new AtomicBoolean();
    private final FillHost host = new Host();
    private StartupScan scan;
    private volatile boolean alwaysFinish;
    private volatile ExternalCaches external = new ExternalCaches(java.util.List.of());

    private FileCacheStore(final Path cacheDir, final StoreTunables tunables, final boolean alwaysFinish,
            final Supplier<DiskMonitor> disk, final LongSupplier clock) {
        this.layout = new StoreLayout(cacheDir);
        this.tunables = tunables;
        this.alwaysFinish = alwaysFinish;
        this.disk = disk;
        this.clock = clock;
        this.index = new EntryIndex(layout, clock, eviction, diskErrors);
    }

    /** Opens the store on {@code cacheDir}: recovers the index, then starts the background work. */
    static FileCacheStore open(final Path cacheDir, final StoreTunables tunables, final boolean alwaysFinish,
            final Supplier<DiskMonitor> disk, final LongSupplier clock) throws IOException {
        final FileCacheStore store = new FileCacheStore(cacheDir, tunables, alwaysFinish, disk, clock);
        try {
            store.start();
        } catch (final IOException | RuntimeException e) {
            store.writers.shutdownNow();
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
        if (closed.get() || aboveHardLimit()) {
            return null;
        }
        final long now = clock.getAsLong();
        while (true) {
            final InFlightFill existing = inFlight.get(key);
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
    public boolean remove(final String key) {
        KeyFormat.requireValid(key);
        return !closed.get() && index.remove(key);
    }

    private boolean aboveHardLimit() {
        final DiskMonitor monitor = disk.get();
        return monitor != null && monitor.current().zone() == SpaceZone.ABOVE_HARD;
    }

    /** Switches the eviction policy (null for none) and replays every entry into it. */
    void useEvictionPolicy(final EvictionPolicy policy) {
        eviction.use(policy, index.entries());
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
        writers.shutdown();
        maintenance.shutdown();
        try {
            if (!writers.awaitTermination(2, TimeUnit.SECONDS)) {
                writers.shutdownNow(); // a writer stuck in an upstream read: interrupting it is all we can do
                writers.awaitTermination(1, TimeUnit.SECONDS);
            }
            maintenance.awaitTermination(5, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        maintenance.shutdownNow();
        index.close();
        LOG.info("Closed cache store in {}", layout.base());
    }

    // ---- for maintenance and tests

    private void maintain() {
        try {
            index.flushAccesses();
            sweepStaleFills();
            index.compactIfNeeded(COMPACT_MIN_GARBAGE);
        } catch (final RuntimeException e) {
            // a scheduled task that throws is never run again: log and keep going
            LOG.error("Cache maintenance failed", e);
        }
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
        }
    }

    boolean awaitStartupScan(final long timeoutMillis) throws InterruptedException {
        return scan.done().await(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    int inFlightCount() {
        return inFlight.size();
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
        public void startWriter(final FillWriter writer) {
            writers.execute(writer);
        }

        @Override
        public int chunkBytes() {
            return tunables.chunkBytes();
        }

        @Override
        public boolean alwaysFinish() {
            return alwaysFinish;
        }

        @Override
        public void commit(final InFlightFill fill, final EntryMeta meta) {
            if (!fill.startCommit()) {
                return; // aborted between the last byte and here
            }
            try {
                index.commit(fill, meta);
            } catch (final IOException e) {
                diskError("Cannot commit " + fill.key(), e);
                fill.fail(new IOException("Cache commit failed: " + e.getMessage(), e), true);
                return;
            }
            fill.committed(meta);
            diskErrors.recovered();
            LOG.debug("Committed {} ({} bytes)", fill.key(), meta.length());
        }

        @Override
        public void ended(final InFlightFill fill) {
            inFlight.remove(fill.key(), fill);
        }

        @Override
        public void diskError(final String what, final IOException e) {
            diskErrors.report(what, e);
        }
    }
}
