package io.otaproxy.cache.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

import io.otaproxy.api.eviction.EvictionPolicy;
import io.otaproxy.api.space.DiskMonitor;
import io.otaproxy.api.space.SpaceState;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Frees space when the cache is above the soft limit or its cap: asks the policy in use for victims and removes
 * them until the low-water mark of {@link SpacePressure} is reached. Runs on the store's maintenance thread only,
 * never on the path of a request, so a hit never waits for an eviction or calls into a policy.
 *
 * <p>Without any policy installed it still keeps the cache in bounds, by sorting the index by last access: slower
 * (a sort of every entry per pass) but only until a policy bundle arrives.
 */
final class Evictor {

    private static final Logger LOG = LoggerFactory.getLogger(Evictor.class);

    private final java.util.concurrent.atomic.LongAdder evictedEntries = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder evictedBytes = new java.util.concurrent.atomic.LongAdder();
    /** Passes over the policy's proposals per run: more only when proposed entries turned out pinned or gone. */
    private static final int MAX_ROUNDS = 8;

    private final EntryIndex index;
    private final EvictionReporter policies;
    private final Predicate<String> pinned;
    private final LongSupplier cacheBytes;
    private final Supplier<DiskMonitor> disk;
    private final LongSupplier clock;
    /** Evictions as {time, bytes}, newest last: what the monitor's older measurements do not show yet. */
    private final ArrayDeque<long[]> recent = new ArrayDeque<>();
    private boolean warnedNoPolicy;
    private boolean fellShort;

    Evictor(final EntryIndex index, final EvictionReporter policies, final Predicate<String> pinned,
            final LongSupplier cacheBytes, final Supplier<DiskMonitor> disk, final LongSupplier clock) {
        this.index = index;
        this.policies = policies;
        this.pinned = pinned;
        this.cacheBytes = cacheBytes;
        this.disk = disk;
        this.clock = clock;
    }

    /**
     * One eviction run if space is short.
     *
     * @return the bytes evicted
     */
    long evictIfNeeded() {
        final DiskMonitor monitor = disk.get();
        final SpaceState state = monitor == null ? null : monitor.current();
        if (state == null) {
            return 0; // no limits known: nothing to enforce
        }
        final SpacePressure pressure = SpacePressure.of(state, cacheBytes.getAsLong(),
                evictedSince(state.measuredAtMillis()));
        if (pressure.bytesToFree() <= 0) {
            fellShort = false;
            return 0;
        }
        // hits since the last flush must count: the entry a client just read is not the one to go
        index.flushAccesses();
        final EvictionPolicy policy = policies.current();
        long freed = 0;
        int count = 0;
        for (int round = 0; round < MAX_ROUNDS && freed < pressure.bytesToFree(); round++) {
            final List<StoredEntry> victims = victims(policy, pressure.bytesToFree() - freed);
            if (victims.isEmpty()) {
                break;
            }
            for (final StoredEntry e : index.evict(victims, pinned)) {
                freed += e.meta().length();
                count++;
            }
        }
        if (count > 0) {
            evictedEntries.add(count);
            evictedBytes.add(freed);
            recent.addLast(new long[] {clock.getAsLong(), freed});
            LOG.info("Evicted {} cache entries ({} bytes) by {} for the {}: cache now {} bytes (cap {}),"
                    + " file system {} % used at the last measurement (soft limit {} %)", count, freed,
                    policy == null ? "last access" : EvictionReporter.safeName(policy), pressure.reason(),
                    cacheBytes.getAsLong(), state.cacheMaxBytes() == 0 ? "none" : state.cacheMaxBytes(),
                    String.format("%.1f", state.usedPercent()), state.softLimitPercent());
        }
        if (freed < pressure.bytesToFree() && !fellShort) {
            fellShort = true; // once per episode: until the pressure is gone
            LOG.warn("Could evict only {} of {} bytes for the {}: the rest of the cache is being read or written",
                    freed, pressure.bytesToFree(), pressure.reason());
        }
        return freed;
    }

    /** Entries to evict for {@code bytes}, least valuable first, none of them pinned now. */
    private List<StoredEntry> victims(final EvictionPolicy policy, final long bytes) {
        if (policy == null) {
            return oldestFirst(bytes);
        }
        warnedNoPolicy = false;
        final List<StoredEntry> victims = new ArrayList<>();
        for (final String key : policies.victims(policy, bytes, pinned)) {
            final StoredEntry e = index.get(key);
            if (e == null) {
                policies.removed(key); // a key the index no longer has: let the policy forget it
            } else if (!pinned.test(key)) {
                victims.add(e);
            }
        }
        return victims;
    }

    private List<StoredEntry> oldestFirst(final long bytes) {
        if (!warnedNoPolicy) {
            warnedNoPolicy = true;
            LOG.warn("No eviction policy is installed: evicting the least recently used entries by sorting the index");
        }
        final List<StoredEntry> all = new ArrayList<>(index.entries());
        all.sort(Comparator.comparingLong(StoredEntry::lastAccessMillis));
        final List<StoredEntry> victims = new ArrayList<>();
        long sum = 0;
        for (final StoredEntry e : all) {
            if (sum >= bytes) {
                break;
            }
            if (!pinned.test(e.key())) {
                victims.add(e);
                sum += e.meta().length();
            }
        }
        return victims;
    }

    /** Entries evicted since this store opened. */
    long evictedEntries() {
        return evictedEntries.sum();
    }

    /** Bytes evicted since this store opened. */
    long evictedBytes() {
        return evictedBytes.sum();
    }

    /** Bytes evicted at or after {@code measuredAtMillis}; forgets older evictions, which it has seen. */
    private long evictedSince(final long measuredAtMillis) {
        while (!recent.isEmpty() && recent.peekFirst()[0] < measuredAtMillis) {
            recent.removeFirst();
        }
        long sum = 0;
        for (final long[] r : recent) {
            sum += r[1];
        }
        return sum;
    }
}
