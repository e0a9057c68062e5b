package io.otaproxy.cache.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

import io.otaproxy.api.eviction.EvictionPolicy;
import io.otaproxy.api.space.DiskMonitor;
import io.otaproxy.api.space.SpaceState;
import io.otaproxy.api.space.SpaceZone;

/** Fakes for the space tests: a disk monitor the test sets, simple policies, and a disk that fills up. */
final class TestSpace {

    private TestSpace() {
    }

    /**
     * A disk monitor whose measurement the test sets, taken at the given clock's time (the store's, as in
     * production both read the wall clock); a huge, half empty file system unless told otherwise. Soft limit 70 %,
     * hard 80 %.
     */
    static final class FakeMonitor implements DiskMonitor {
        private final LongSupplier clock;
        private volatile SpaceState state;

        FakeMonitor(final LongSupplier clock) {
            this.clock = clock;
            set(SpaceZone.BELOW_SOFT, 1L << 40, 1L << 39, 0);
        }

        /** A measurement taken now. */
        FakeMonitor set(final SpaceZone zone, final long total, final long usable, final long cap) {
            state = new SpaceState(zone, total, usable, 0, 70, 80, cap, clock.getAsLong());
            return this;
        }

        FakeMonitor zone(final SpaceZone zone) {
            return set(zone, state.totalBytes(), state.usableBytes(), state.cacheMaxBytes());
        }

        FakeMonitor cap(final long cap) {
            return set(SpaceZone.BELOW_SOFT, state.totalBytes(), state.usableBytes(), cap);
        }

        @Override
        public SpaceState current() {
            return state;
        }
    }

    /** Least recently used first; the model against which the store's eviction is checked. */
    static class OrderPolicy implements EvictionPolicy {
        final Map<String, long[]> entries = new HashMap<>(); // key -> {size, lastAccess}
        private final String name;
        private final Comparator<Map.Entry<String, long[]>> order;

        OrderPolicy(final String name, final Comparator<Map.Entry<String, long[]>> order) {
            this.name = name;
            this.order = order;
        }

        static OrderPolicy lru() {
            return new OrderPolicy("lru", Comparator.comparingLong(e -> e.getValue()[1]));
        }

        /** Largest first: an order that differs from LRU in every test that uses both. */
        static OrderPolicy largestFirst() {
            return new OrderPolicy("largest", Comparator.<Map.Entry<String, long[]>>comparingLong(e -> -e.getValue()[0])
                    .thenComparingLong(e -> e.getValue()[1]));
        }

        Comparator<Map.Entry<String, long[]>> order() {
            return order;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public synchronized void added(final String key, final long sizeBytes, final long lastAccessMillis) {
            entries.put(key, new long[] {sizeBytes, lastAccessMillis});
        }

        @Override
        public synchronized void accessed(final String key, final long accessMillis) {
            final long[] e = entries.get(key);
            if (e != null) {
                e[1] = Math.max(e[1], accessMillis);
            }
        }

        @Override
        public synchronized void removed(final String key) {
            entries.remove(key);
        }

        @Override
        public synchronized List<String> victims(final long bytesToFree, final Predicate<String> pinned) {
            final List<Map.Entry<String, long[]>> all = new ArrayList<>(entries.entrySet());
            all.sort(order);
            final List<String> victims = new ArrayList<>();
            long sum = 0;
            for (final Map.Entry<String, long[]> e : all) {
                if (sum >= bytesToFree) {
                    break;
                }
                if (!pinned.test(e.getKey())) {
                    victims.add(e.getKey());
                    sum += e.getValue()[0];
                }
            }
            return victims;
        }

        synchronized long lastAccess(final String key) {
            return entries.get(key)[1];
        }

        synchronized int size() {
            return entries.size();
        }
    }

    /**
     * Temp files on a disk that runs full: writes fail with ENOSPC's message once {@code budget} bytes have been
     * written in all, until the test frees space. Creating the file or forcing it can be made to fail too.
     */
    static final class FullDisk implements FillSink.Factory {
        final AtomicLong budget = new AtomicLong(Long.MAX_VALUE);
        final AtomicBoolean failCreate = new AtomicBoolean();
        final AtomicBoolean failForce = new AtomicBoolean();
        /** While set, every fsync waits for it: a disk slow to sync. */
        volatile CountDownLatch holdForce;
        final AtomicLong failures = new AtomicLong();

        @Override
        public FillSink create(final Path tempFile) throws IOException {
            if (failCreate.get()) {
                failures.incrementAndGet();
                throw new IOException("No space left on device");
            }
            final FillSink real = FillSink.FILES.create(tempFile);
            return new FillSink() {
                @Override
                public void write(final ByteBuffer bytes) throws IOException {
                    if (budget.addAndGet(-bytes.remaining()) < 0) {
                        budget.addAndGet(bytes.remaining());
                        failures.incrementAndGet();
                        throw new IOException("No space left on device");
                    }
                    real.write(bytes);
                }

                @Override
                public void force() throws IOException {
                    final CountDownLatch hold = holdForce;
                    if (hold != null) {
                        try {
                            hold.await();
                        } catch (final InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new InterruptedIOException("interrupted in fsync");
                        }
                    }
                    if (failForce.get()) {
                        failures.incrementAndGet();
                        throw new IOException("Input/output error");
                    }
                    real.force();
                }

                @Override
                public void close() throws IOException {
                    real.close();
                }
            };
        }
    }
}
