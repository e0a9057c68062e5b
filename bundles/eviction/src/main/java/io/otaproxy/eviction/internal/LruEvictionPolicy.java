package io.otaproxy.eviction.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

import io.otaproxy.api.eviction.EvictionPolicy;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Least recently used first: the default policy. Entries are ordered by last access time, which the cache store
 * journals, so the order survives a restart (the store replays each entry with its last access). Ties keep the
 * order in which they were reported. All operations are O(log n).
 */
@Component(service = EvictionPolicy.class, property = EvictionPolicy.POLICY_PROPERTY + "=" + LruEvictionPolicy.NAME)
public final class LruEvictionPolicy implements EvictionPolicy {

    static final String NAME = "lru";

    private static final Logger LOG = LoggerFactory.getLogger(LruEvictionPolicy.class);

    /** Position in the order: last access, then a sequence number that breaks ties. */
    private record Rank(long lastAccess, long seq) implements Comparable<Rank> {
        @Override
        public int compareTo(final Rank o) {
            final int c = Long.compare(lastAccess, o.lastAccess);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    private record Entry(long size, Rank rank) {
    }

    private final Map<String, Entry> entries = new HashMap<>();
    private final TreeMap<Rank, String> order = new TreeMap<>();
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
        removed(key);
        final Rank rank = new Rank(lastAccessMillis, seq++);
        entries.put(key, new Entry(sizeBytes, rank));
        order.put(rank, key);
    }

    @Override
    public synchronized void accessed(final String key, final long accessMillis) {
        final Entry entry = entries.get(key);
        if (entry == null) {
            return;
        }
        order.remove(entry.rank());
        final Rank rank = new Rank(Math.max(accessMillis, entry.rank().lastAccess()), seq++);
        entries.put(key, new Entry(entry.size(), rank));
        order.put(rank, key);
    }

    @Override
    public synchronized void removed(final String key) {
        final Entry entry = entries.remove(key);
        if (entry != null) {
            order.remove(entry.rank());
        }
    }

    @Override
    public synchronized List<String> victims(final long bytesToFree, final Predicate<String> pinned) {
        final List<String> victims = new ArrayList<>();
        long freed = 0;
        final Iterator<String> oldestFirst = order.values().iterator();
        while (freed < bytesToFree && oldestFirst.hasNext()) {
            final String key = oldestFirst.next();
            if (!pinned.test(key)) {
                victims.add(key);
                freed += entries.get(key).size();
            }
        }
        return victims;
    }

    /** Number of entries tracked; for tests and status. */
    synchronized int size() {
        return entries.size();
    }
}
