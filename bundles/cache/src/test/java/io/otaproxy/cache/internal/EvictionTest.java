package io.otaproxy.cache.internal;

import static io.otaproxy.cache.internal.TestData.bytes;
import static io.otaproxy.cache.internal.TestData.key;
import static io.otaproxy.cache.internal.TestData.readAll;
import static io.otaproxy.cache.internal.TestData.sha256;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import io.otaproxy.api.cache.CacheEntry;
import io.otaproxy.api.cache.EntryMeta;
import io.otaproxy.api.cache.Fill;
import io.otaproxy.api.space.SpaceZone;
import io.otaproxy.cache.internal.TestSpace.FakeMonitor;
import io.otaproxy.cache.internal.TestSpace.OrderPolicy;

import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class EvictionTest {

    private static final int SIZE = 10_000;

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final TestData.ManualClock clock = new TestData.ManualClock();
    private final FakeMonitor monitor = new FakeMonitor(clock);
    private Path dir;
    private FileCacheStore store;

    @Before
    public void openStore() throws Exception {
        dir = tmp.newFolder("cache").toPath();
        store = open();
    }

    @After
    public void closeStore() {
        store.close();
    }

    private FileCacheStore open() throws Exception {
        return TestData.open(dir, TestData.FAST, false, () -> monitor, clock);
    }

    /** Commits entry {@code n} of {@link #SIZE} bytes at the clock's time, then lets its eviction check run. */
    private byte[] commit(final int n) throws Exception {
        return commit(n, SIZE);
    }

    private byte[] commit(final int n, final int size) throws Exception {
        clock.advance(1_000);
        final byte[] body = bytes(size, n);
        final Fill f = store.fill(key(n));
        assertTrue(f.isLeader());
        Pump.begin(f, new EntryMeta(body.length, null, null, sha256(body), null), new ByteArrayInputStream(body), null);
        try (Fill.FillReader r = f.newReader()) {
            assertArrayEquals(body, TestData.readAll(r));
        }
        store.awaitCommits();
        store.awaitMaintenance(); // the eviction check the commit asked for
        return body;
    }

    /**
     * A hit on entry {@code n} later than anything before. Not flushed to the policy: an eviction must do that
     * itself, or it would evict the entry a client has just read.
     */
    private void hit(final int n) {
        clock.advance(1_000);
        assertNotNull(store.find(key(n)));
    }

    /** Whether entry {@code n} is in the index; unlike a lookup, this is no access. */
    private boolean cached(final int n) {
        return store.index().get(key(n)) != null;
    }

    @Test
    public void underTheCapTheLeastRecentlyUsedGoAndRecentlyHitEntriesSurvive() throws Exception {
        store.useEvictionPolicy(OrderPolicy.lru());
        monitor.cap(10 * SIZE);
        for (int i = 0; i < 10; i++) {
            commit(i);
        }
        assertEquals("exactly at the cap: nothing goes", 10, store.size());
        hit(0);
        hit(1);
        hit(2);
        commit(10); // over the cap: evict down to 90 % of it, least recently used first
        assertEquals(9 * SIZE, store.usedBytes());
        for (final int gone : new int[] {3, 4}) {
            assertFalse("entry " + gone + " was least recently used", cached(gone));
            assertFalse(Files.exists(store.layout().dataFile(key(gone))));
        }
        for (final int kept : new int[] {0, 1, 2, 5, 6, 7, 8, 9, 10}) {
            assertTrue("entry " + kept + " survives", cached(kept));
        }
        for (int i = 11; i < 20; i++) {
            commit(i);
            if (i % 3 == 0) {
                hit(0); // kept hot all along
            }
            assertTrue("the cache stays under its cap", store.usedBytes() <= 10 * SIZE);
        }
        assertTrue(cached(0));
        assertFalse("hit long ago, then never again", cached(1));

        final int entries = store.size();
        final long used = store.usedBytes();
        store.close();
        store = open();
        assertEquals("evictions are durable", entries, store.size());
        assertTrue(cached(0));
        assertEquals(used, store.usedBytes());
    }

    @Test
    public void aJustCommittedEntryStaysUntilTheClientThatCausedItHasOpenedIt() throws Exception {
        store.useEvictionPolicy(OrderPolicy.lru());
        monitor.cap(SIZE);
        clock.advance(1_000);
        final byte[] body = bytes(SIZE, 90);
        final Fill leader = store.fill(key(90));
        Pump.begin(leader, new EntryMeta(body.length, null, null, sha256(body), null), new ByteArrayInputStream(body),
                null);
        store.awaitCommits(); // a small body: an entry before the leader's client opens it
        commit(91); // over the cap, and entry 90 is the least recently used
        try (Fill.FillReader r = leader.newReader()) {
            assertArrayEquals("the leader's client still gets its file", body, TestData.readAll(r));
        }
    }

    @Test
    public void aboveTheSoftLimitEvictionFreesDownToTwoPointsBelowIt() throws Exception {
        store.useEvictionPolicy(OrderPolicy.lru());
        for (int i = 0; i < 10; i++) {
            commit(i);
        }
        // 1 MB file system, 75 % used, soft limit 70 %: evict to 68 %, i.e. 70 000 bytes: 7 entries
        monitor.set(SpaceZone.ABOVE_SOFT, 1_000_000, 250_000, 0);
        assertEquals(7 * SIZE, store.evictOnMaintenanceThread());
        for (int i = 0; i < 7; i++) {
            assertFalse(cached(i));
        }
        assertTrue(cached(7));
        assertEquals("the same measurement does not count the same excess twice", 0,
                store.evictOnMaintenanceThread());
        clock.advance(1_000);
        monitor.set(SpaceZone.BELOW_SOFT, 1_000_000, 320_000, 0); // 68 % once the monitor sees it
        assertEquals(0, store.evictOnMaintenanceThread());
        monitor.set(SpaceZone.ABOVE_SOFT, 1_000_000, 299_000, 0); // 70.1 %: just above, free to 68 %
        assertEquals(3 * SIZE, store.evictOnMaintenanceThread());
        assertEquals(0, store.size());
    }

    @Test
    public void theMaintenanceTickEvictsWithoutACommit() throws Exception {
        store.useEvictionPolicy(OrderPolicy.lru());
        for (int i = 0; i < 5; i++) {
            commit(i);
        }
        monitor.cap(2 * SIZE);
        store.maintainNow();
        assertTrue(store.usedBytes() <= 2 * SIZE);
        assertTrue(cached(4));
        assertFalse(cached(0));
    }

    @Test
    public void anEntryWithAnOpenReaderIsNotEvictedAndItsReaderGetsTheWholeBody() throws Exception {
        store.useEvictionPolicy(OrderPolicy.lru());
        final byte[] oldest = commit(0);
        commit(1);
        commit(2);
        final CacheEntry entry = store.find(key(0)); // not flushed: entry 0 stays the LRU victim
        final ByteBuffer got = ByteBuffer.allocate(SIZE);
        try (FileChannel ch = entry.open()) {
            got.limit(100);
            ch.read(got, 0);
            assertEquals(1, store.pins().count(key(0)));
            monitor.cap(1); // everything must go
            store.evictOnMaintenanceThread();
            assertTrue("pinned by its open reader", cached(0));
            assertFalse(cached(1));
            assertFalse(cached(2));
            got.limit(SIZE);
            while (got.hasRemaining() && ch.read(got, got.position()) > 0) {
                // the rest of the body
            }
        }
        assertArrayEquals(oldest, got.array());
        assertEquals("the pin goes with the channel", 0, store.pins().count(key(0)));
        store.evictOnMaintenanceThread();
        assertFalse(cached(0));
        assertEquals(0, store.usedBytes());
    }

    @Test
    public void evenAnEvictionRacingTheOpenLeavesTheReaderItsWholeBody() throws Exception {
        final byte[] body = commit(0);
        final StoredEntry entry = (StoredEntry) store.find(key(0));
        try (FileChannel ch = entry.open()) {
            // the pin is checked just before the removal; a reader opening in between is the race this covers
            final EntryIndex index = store.index();
            assertEquals(1, index.evict(List.of(entry), k -> false).size());
            assertFalse(Files.exists(store.layout().dataFile(key(0))));
            final ByteBuffer got = ByteBuffer.allocate(SIZE);
            while (got.hasRemaining() && ch.read(got, got.position()) > 0) {
                // an unlinked file stays readable through its descriptor
            }
            assertArrayEquals(body, got.array());
        }
    }

    @Test
    public void aFillsReaderStillReadingAfterTheCommitPinsTheNewEntry() throws Exception {
        store.useEvictionPolicy(OrderPolicy.lru());
        final byte[] body = bytes(SIZE, 7);
        final Fill f = store.fill(key(7));
        Pump.begin(f, new EntryMeta(SIZE, null, null, null, null), new ByteArrayInputStream(body), null);
        final Fill.FillReader slow = f.newReader();
        TestData.await("committed", 5_000, () -> store.find(key(7)) != null);
        monitor.cap(1);
        store.evictOnMaintenanceThread();
        assertTrue("its reader is not done", cached(7));
        assertArrayEquals(body, TestData.readAll(slow));
        slow.close();
        store.evictOnMaintenanceThread();
        assertFalse(cached(7));
    }

    @Test(timeout = 120_000) // a hit that waited for the held eviction would hang: this fails it
    public void hitsNeverCallIntoThePolicyNorWaitForAnEviction() throws Exception {
        final Thread test = Thread.currentThread();
        final CountDownLatch inVictims = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final List<String> threadsSeen = new CopyOnWriteArrayList<>();
        final OrderPolicy blocking = new OrderPolicy("blocking", OrderPolicy.lru().order()) {
            private void check(final String what) {
                threadsSeen.add(Thread.currentThread().getName());
                if (Thread.currentThread() == test) {
                    throw new AssertionError(what + " called on the request thread");
                }
            }

            @Override
            public synchronized void accessed(final String key, final long accessMillis) {
                check("accessed");
                super.accessed(key, accessMillis);
            }

            @Override
            public List<String> victims(final long bytesToFree, final Predicate<String> pinned) {
                check("victims");
                inVictims.countDown();
                try {
                    // held until the hits below are done; the bound only lets a failed run end
                    release.await(60, TimeUnit.SECONDS);
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return super.victims(bytesToFree, pinned);
            }
        };
        for (int i = 0; i < 3; i++) {
            commit(i);
        }
        store.useEvictionPolicy(blocking);
        monitor.cap(SIZE);
        final Thread maintenanceKick = new Thread(() -> {
            try {
                store.evictOnMaintenanceThread();
            } catch (final Exception e) {
                // reported by the assertions below
            }
        });
        maintenanceKick.start();
        assertTrue("an eviction is under way", inVictims.await(5, TimeUnit.SECONDS));
        try {
            // the eviction is held in the policy all along: hits that waited for it would never end (no clock needed)
            for (int i = 0; i < 1_000; i++) {
                assertNotNull(store.find(key(i % 3)));
                try (FileChannel ch = store.find(key(i % 3)).open()) {
                    assertEquals(SIZE, ch.size());
                }
            }
            assertTrue("the eviction was still held during the hits", maintenanceKick.isAlive());
        } finally {
            release.countDown();
        }
        maintenanceKick.join(30_000);
        store.maintainNow(); // the access flush: on the maintenance thread, not ours
        for (final String name : threadsSeen) {
            assertTrue(name, name.startsWith("ota-proxy-cache-maintenance"));
        }
        assertTrue(store.usedBytes() <= SIZE);
    }

    @Test
    public void withoutAnyPolicyTheStoreStillKeepsTheCapByLastAccess() throws Exception {
        for (int i = 0; i < 4; i++) {
            commit(i);
        }
        hit(0);
        monitor.cap(3 * SIZE); // 4 held: free 1.3 entries' worth down to 90 % of the cap
        store.evictOnMaintenanceThread();
        assertEquals(2 * SIZE, store.usedBytes());
        assertTrue("recently hit", cached(0));
        assertTrue("most recent commit", cached(3));
        assertFalse(cached(1));
        assertFalse(cached(2));
    }

    @Test
    public void aSwapReplaysTheIndexAndTheNewPolicysOrderRulesAtOnce() throws Exception {
        final OrderPolicy lru = OrderPolicy.lru();
        store.useEvictionPolicy(lru);
        commit(1, SIZE);
        commit(2, SIZE);
        commit(0, 3 * SIZE); // large and recent
        hit(1);
        final long hitAt = clock.getAsLong();
        store.flushAccesses();
        assertEquals(hitAt, lru.lastAccess(key(1)));

        final OrderPolicy largest = OrderPolicy.largestFirst();
        store.useEvictionPolicy(largest);
        assertEquals("the left policy forgets the cache", 0, lru.size());
        assertEquals("replayed into the new one", 3, largest.size());
        assertEquals("with the last access", hitAt, largest.lastAccess(key(1)));
        assertEquals(largest, store.evictionPolicy());

        monitor.cap(4 * SIZE); // 5 held; at 6 there are 2.4 to free: LRU would take 2 and 0, largest-first 0 alone
        commit(3, SIZE);
        assertFalse(cached(0));
        assertTrue("largest-first spares the small, older entry", cached(2));
        assertTrue(cached(1));
        assertTrue(cached(3));

        store.useEvictionPolicy(lru); // and back, again without a restart
        hit(1);
        commit(4, 2 * SIZE); // 5 held: 1.4 to free, least recently used first: 2, then 3
        assertTrue("hit recently", cached(1));
        assertFalse(cached(2));
        assertFalse(cached(3));
        assertTrue(cached(4));
    }

    @Test
    public void lastAccessTimesSurviveARestartAndDecideTheOrderAfterIt() throws Exception {
        for (int i = 0; i < 4; i++) {
            commit(i);
        }
        hit(0);
        store.close(); // flushes the access
        store = open();
        final OrderPolicy lru = OrderPolicy.lru();
        store.useEvictionPolicy(lru);
        monitor.cap(4 * SIZE); // at 5 held, 1.4 to free: the two least recently used
        commit(4);
        assertTrue("hit before the restart", cached(0));
        assertFalse(cached(1));
        assertFalse(cached(2));
        assertTrue(cached(3));
    }

    @Test
    public void usageCountsEntriesAndFillsInFlightExactly() throws Exception {
        assertEquals(0, store.usedBytes());
        commit(0);
        assertEquals(SIZE, store.usedBytes());
        final ControlledBody body = new ControlledBody();
        final Fill f = store.fill(key(1));
        Pump.begin(f, new EntryMeta(3000, null, null, null, null), body, null);
        final Fill.FillReader r = f.newReader();
        body.feed(bytes(1000, 1));
        TestData.await("1000 bytes in the temp file", 5_000, () -> store.usedBytes() == SIZE + 1000);
        body.feed(bytes(2000, 2)).end();
        readAll(r);
        r.close();
        TestData.await("committed", 5_000, () -> store.find(key(1)) != null);
        assertEquals(SIZE + 3000, store.usedBytes());
        assertEquals(0, store.tempBytes());
        assertTrue(store.remove(key(0)));
        assertEquals(3000, store.usedBytes());
        store.close();
        store = open();
        assertEquals(3000, store.usedBytes());
    }

    @Test
    public void aPolicyThatProposesUnknownOrPinnedKeysDoesNotBreakEviction() throws Exception {
        commit(0);
        commit(1);
        final List<String> proposals = new ArrayList<>();
        final OrderPolicy liar = new OrderPolicy("liar", OrderPolicy.lru().order()) {
            @Override
            public synchronized List<String> victims(final long bytesToFree, final Predicate<String> pinned) {
                final List<String> v = new ArrayList<>(List.of(key(99))); // a ghost
                v.add(key(0)); // pinned below, proposed anyway
                v.addAll(super.victims(bytesToFree, k -> false));
                proposals.addAll(v);
                return v;
            }
        };
        store.useEvictionPolicy(liar);
        try (FileChannel ch = store.find(key(0)).open()) {
            monitor.cap(1);
            store.evictOnMaintenanceThread();
            // the replay of the index into the new policy may still be running on a loaded machine: give the
            // maintenance thread a few passes rather than exactly one
            TestData.await("the unpinned entry is evicted", 5_000, () -> {
                try {
                    store.evictOnMaintenanceThread();
                } catch (final Exception e) {
                    throw new IllegalStateException(e);
                }
                return !cached(1);
            });
            assertTrue("the store re-checks the pin", cached(0));
            assertTrue(ch.isOpen());
        }
        assertFalse(proposals.isEmpty());
    }

    @Test
    public void aThrowingPolicyOnlyStopsEvictionNotCaching() throws Exception {
        commit(0);
        store.useEvictionPolicy(new OrderPolicy("broken", OrderPolicy.lru().order()) {
            @Override
            public List<String> victims(final long bytesToFree, final Predicate<String> pinned) {
                throw new IllegalStateException("broken policy");
            }
        });
        monitor.cap(1);
        assertEquals(0, store.evictOnMaintenanceThread());
        commit(1);
        assertTrue(cached(1));
    }

}
