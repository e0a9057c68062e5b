package io.otaproxy.eviction.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

import io.otaproxy.api.eviction.EvictionPolicy;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Greedy-Dual-Size-Frequency, Squid's {@code heap GDSF}: each entry has the priority {@code L + frequency / size}
 * (cost 1 per entry), and the lowest priority goes first. {@code L}, the inflation value, rises to the priority of
 * every entry evicted, so an entry that was valuable long ago but is no longer read sinks below newcomers over
 * time instead of staying forever.
 *
 * <p>Why offer it: it keeps many small, often-read files (manifests, metadata) in place of one large file read
 * once, which raises the hit rate in requests when space is short; LRU ignores size. The frequency is not
 * journaled by the store, so after a restart every entry starts at 1 and size decides, with the journaled last
 * access breaking ties. Ties in priority go least recently used first. All operations are O(log n).
 */
@Component(service = EvictionPolicy.class, property = EvictionPolicy.POLICY_PROPERTY + "=" + GdsfEvictionPolicy.NAME)
public final class GdsfEvictionPolicy implements EvictionPolicy {

    static final String NAME = "gdsf";

    private static final Logger LOG = LoggerFactory.getLogger(GdsfEvictionPolicy.class);

    /** Position in the order: priority, then last access, then a sequence number that breaks ties. */
    private record Rank(double priority, long lastAccess, long seq) implements Comparable<Rank> {
        @Override
        public int compareTo(final Rank o) {
            int c = Double.compare(priority, o.priority);
            if (c == 0) {
                c = Long.compare(lastAccess, o.lastAccess);
            }
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    private static final class Entry {
        private final long size;
        private int frequency = 1;
        private Rank rank;

        Entry(final long size) {
            this.size = Math.max(1, size); // an empty file still costs a slot
        }
    }

    private final Map<String, Entry> entries = new HashMap<>();
    private final TreeMap<Rank, String> order = new TreeMap<>();
    /** The keys of the last proposal: their removal is an eviction and raises L; other removals do not. */
    private final Set<String> proposed = new HashSet<>();
    private double inflation;
    private long seq;

    @Activate
    void activate() {
        LOG.info("Activating eviction policy {}", NAME);
    }

    @Deactivate
    void deactivate() {
        LOG.info("Deactivating eviction policy {}", NAME);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public synchronized void added(final String key, final long sizeBytes, final long lastAccessMillis) {
        forget(key);
        proposed.remove(key);
        final Entry entry = new Entry(sizeBytes);
        entries.put(key, entry);
        rank(key, entry, lastAccessMillis);
    }

    @Override
    public synchronized void accessed(final String key, final long accessMillis) {
        final Entry entry = entries.get(key);
        if (entry == null) {
            return;
        }
        order.remove(entry.rank);
        if (entry.frequency < Integer.MAX_VALUE) {
            entry.frequency++;
        }
        rank(key, entry, Math.max(accessMillis, entry.rank.lastAccess()));
    }

    @Override
    public synchronized void removed(final String key) {
        final Entry entry = forget(key);
        if (proposed.remove(key) && entry != null && entry.rank.priority() > inflation) {
            inflation = entry.rank.priority();
        }
    }

    @Override
    public synchronized List<String> victims(final long bytesToFree, final Predicate<String> pinned) {
        proposed.clear();
        final List<String> victims = new ArrayList<>();
        long freed = 0;
        for (final Map.Entry<Rank, String> e : order.entrySet()) {
            if (freed >= bytesToFree) {
                break;
            }
            final String key = e.getValue();
            if (!pinned.test(key)) {
                victims.add(key);
                proposed.add(key);
                freed += entries.get(key).size;
            }
        }
        return victims;
    }

    private void rank(final String key, final Entry entry, final long lastAccess) {
        entry.rank = new Rank(inflation + (double) entry.frequency / entry.size, lastAccess, seq++);
        order.put(entry.rank, key);
    }

    private Entry forget(final String key) {
        final Entry entry = entries.remove(key);
        if (entry != null) {
            order.remove(entry.rank);
        }
        return entry;
    }

    /** Number of entries tracked; for tests and status. */
    synchronized int size() {
        return entries.size();
    }

    /** The inflation value L; for tests. */
    synchronized double inflation() {
        return inflation;
    }
}
