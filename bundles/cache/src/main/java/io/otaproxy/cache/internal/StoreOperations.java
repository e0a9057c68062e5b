package io.otaproxy.cache.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

import io.otaproxy.api.cache.CacheMaintenance;
import io.otaproxy.api.stats.CacheStatistics;
import io.otaproxy.api.stats.ErrorRecord;
import io.otaproxy.api.stats.FillProgress;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's view of one open store: what it holds and downloads, what failed, and the purge and evict
 * actions. Registered next to the store for as long as the store is offered.
 */
final class StoreOperations implements CacheStatistics, CacheMaintenance {

    private static final Logger LOG = LoggerFactory.getLogger(StoreOperations.class);

    private final FileCacheStore store;

    StoreOperations(final FileCacheStore store) {
        this.store = store;
    }

    @Override
    public long entries() {
        return store.size();
    }

    @Override
    public long usedBytes() {
        return store.usedBytes();
    }

    @Override
    public List<FillProgress> fills() {
        final List<FillProgress> fills = new ArrayList<>();
        final long clockToWall = System.currentTimeMillis() - store.clockMillis();
        for (final InFlightFill f : store.fillsInFlight()) {
            fills.add(f.progress(f.createdMillis() + clockToWall));
        }
        return fills;
    }

    @Override
    public long evictedEntries() {
        return store.evictor().evictedEntries();
    }

    @Override
    public long evictedBytes() {
        return store.evictor().evictedBytes();
    }

    @Override
    public long integrityFailures() {
        return store.counters().integrityFailures();
    }

    @Override
    public long upstreamFailures() {
        return store.counters().upstreamFailures();
    }

    @Override
    public List<ErrorRecord> recentErrors() {
        return store.counters().recentErrors();
    }

    @Override
    public boolean purge(final String key) {
        KeyFormat.requireValid(key);
        final boolean removed = store.remove(key);
        LOG.info("Purge of cache entry {} requested: {}", key, removed ? "removed" : "no such entry");
        return removed;
    }

    @Override
    public int purgeAll() {
        int removed = 0;
        for (final StoredEntry entry : List.copyOf(store.index().entries())) {
            if (store.remove(entry.key())) {
                removed++;
            }
        }
        LOG.info("Purge of the whole cache requested: {} entries removed; downloads in flight go on", removed);
        return removed;
    }

    @Override
    public long evictNow() {
        if (store.isClosed()) {
            return 0;
        }
        try {
            final long freed = store.evictOnMaintenanceThread();
            LOG.info("Eviction check requested: {} bytes freed", freed);
            return freed;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the eviction check", e);
        } catch (final ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the eviction check failed: " + e, e);
        }
    }
}
