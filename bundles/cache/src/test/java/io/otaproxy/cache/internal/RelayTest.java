package io.otaproxy.cache.internal;

import static io.otaproxy.cache.internal.TestData.await;
import static io.otaproxy.cache.internal.TestData.awaitNoTempFiles;
import static io.otaproxy.cache.internal.TestData.bytes;
import static io.otaproxy.cache.internal.TestData.key;
import static io.otaproxy.cache.internal.TestData.meta;
import static io.otaproxy.cache.internal.TestData.sha256;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

import io.otaproxy.api.cache.EntryMeta;
import io.otaproxy.api.cache.Fill;
import io.otaproxy.api.space.SpaceZone;
import io.otaproxy.cache.internal.TestSpace.FakeMonitor;
import io.otaproxy.cache.internal.TestSpace.FullDisk;

import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Fills that can no longer write to disk: the hard limit crossed mid-fill, a write failing (ENOSPC) through the
 * {@link FillSink} seam, a temp file that cannot be created, an fsync that fails. In every case each attached
 * reader gets the whole, correct body, nothing is committed, new fills are refused while the disk cannot take them,
 * and caching resumes by itself afterwards.
 */
public class RelayTest {

    private static final int CHUNK = 16 * 1024;
    private static final int WINDOW = 64 * 1024;
    private static final StoreTunables TUNABLES =
            new StoreTunables(2_000, 60_000, 60_000).withRelayWindow(WINDOW).withWriteRetry(10_000);

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final TestData.ManualClock clock = new TestData.ManualClock();
    private final FakeMonitor monitor = new FakeMonitor(clock);
    private final FullDisk disk = new FullDisk();
    private Path dir;
    private FileCacheStore store;

    @Before
    public void openStore() throws Exception {
        dir = tmp.newFolder("cache").toPath();
        store = FileCacheStore.open(dir, TUNABLES, false, () -> monitor, clock, disk);
    }

    @After
    public void closeStore() {
        store.close();
        threads.shutdownNow();
    }

    private Future<byte[]> read(final Fill.FillReader reader, final AtomicLong progress) {
        return TestData.readInBackground(threads, reader, 5000, progress);
    }

    /** A whole fill that commits: caching works (again). */
    private void assertCachingWorks(final int n) throws Exception {
        final byte[] src = bytes(3 * CHUNK, n);
        final Fill f = store.fill(key(n));
        assertNotNull("caching resumed", f);
        Pump.begin(f, meta(src), new ControlledBody().feed(src).end(), null);
        try (Fill.FillReader r = f.newReader()) {
            assertArrayEquals(src, TestData.readAll(r));
        }
        store.awaitCommits();
        assertNotNull(store.find(key(n)));
    }

    @Test
    public void crossingTheHardLimitMidFillRelaysTheRestToEveryReaderAndCommitsNothing() throws Exception {
        assertCachingWorks(20);
        final byte[] src = bytes(20 * CHUNK + 123, 1);
        final String k = key(1);
        final ControlledBody body = new ControlledBody();
        final AtomicBoolean aborted = new AtomicBoolean();
        final Fill leader = store.fill(k);
        Pump.begin(leader, meta(src), body, () -> aborted.set(true));
        final Fill joiner = store.fill(k);
        assertTrue(joiner.awaitBegun(1_000));
        final AtomicLong p1 = new AtomicLong();
        final AtomicLong p2 = new AtomicLong();
        final Future<byte[]> r1 = read(leader.newReader(), p1);
        final Future<byte[]> r2 = read(joiner.newReader(), p2);

        body.feed(Arrays.copyOf(src, 5 * CHUNK));
        await("on disk", 5_000, () -> leader.bytesOnDisk() == 5 * CHUNK);
        monitor.zone(SpaceZone.ABOVE_HARD);
        assertNull("no new fill above the hard limit", store.fill(key(2)));
        assertEquals("hits are still served", 3 * CHUNK, TestData.readAll(store.find(key(20))).length);
        body.feed(Arrays.copyOfRange(src, 5 * CHUNK, src.length)).end();

        assertArrayEquals(src, r1.get(10, TimeUnit.SECONDS));
        assertArrayEquals(src, r2.get(10, TimeUnit.SECONDS));
        assertEquals("nothing more went to disk", 5 * CHUNK, leader.bytesOnDisk());
        assertNull("not committed", store.find(k));
        assertFalse(aborted.get());
        awaitNoTempFiles(store);

        monitor.zone(SpaceZone.BELOW_SOFT);
        assertCachingWorks(3);
        assertCachingWorks(1); // the same key is cached once space is back
    }

    @Test
    public void manyFillsRelayingAtOnceShareOneMemoryBudgetAndEachReaderGetsItsWholeBody() throws Exception {
        store.close();
        store = FileCacheStore.open(dir, TUNABLES.withRelayBudget(WINDOW), false, () -> monitor, clock, disk);
        final int fills = 4;
        final List<byte[]> sources = new ArrayList<>();
        final List<ControlledBody> bodies = new ArrayList<>();
        final List<Fill.FillReader> readers = new ArrayList<>();
        for (int i = 0; i < fills; i++) {
            final byte[] src = bytes(6 * WINDOW + i, 30 + i);
            final ControlledBody body = new ControlledBody();
            final Fill f = store.fill(key(30 + i));
            assertNotNull(f);
            Pump.begin(f, meta(src), body, null);
            readers.add(f.newReader());
            sources.add(src);
            bodies.add(body);
        }
        monitor.zone(SpaceZone.ABOVE_HARD); // every fill relays from its first byte on
        for (int i = 0; i < fills; i++) {
            bodies.get(i).feed(sources.get(i)).end();
        }
        // nobody reads yet: together the fills take the one budget, each of them six windows' worth short
        await("the budget is spent", 5_000, () -> store.relayBudget().used() == WINDOW);
        assertEquals(WINDOW, store.relayBudget().used());
        final List<Future<byte[]>> results = new ArrayList<>();
        for (final Fill.FillReader r : readers) {
            results.add(read(r, new AtomicLong()));
        }
        for (int i = 0; i < fills; i++) {
            assertArrayEquals(sources.get(i), results.get(i).get(20, TimeUnit.SECONDS));
        }
        awaitNoTempFiles(store);
        assertEquals("every window gave its bytes back", 0, store.relayBudget().used());
    }

    @Test
    public void aRelayingFillIsNotJoinedNorReplaced() throws Exception {
        final byte[] src = bytes(8 * CHUNK, 4);
        final String k = key(4);
        final ControlledBody body = new ControlledBody();
        final Fill leader = store.fill(k);
        Pump.begin(leader, meta(src), body, null);
        final AtomicLong p = new AtomicLong();
        final Future<byte[]> r = read(leader.newReader(), p);
        body.feed(Arrays.copyOf(src, CHUNK));
        await("on disk", 5_000, () -> leader.bytesOnDisk() == CHUNK);
        monitor.zone(SpaceZone.ABOVE_HARD);
        body.feed(Arrays.copyOfRange(src, CHUNK, 2 * CHUNK));
        await("relaying", 5_000, () -> ((FillHandle) leader).shared().isRelaying());
        monitor.zone(SpaceZone.BELOW_SOFT);
        assertNull("new requests for the key relay while it runs", store.fill(k));
        assertNotNull("other keys are cached again", store.fill(key(5)));
        body.feed(Arrays.copyOfRange(src, 2 * CHUNK, src.length)).end();
        assertArrayEquals(src, r.get(10, TimeUnit.SECONDS));
        assertNull(store.find(k));
        await("the key is free again", 5_000, () -> store.inFlightCount() == 1); // key(5) is still NEW
        assertCachingWorks(4);
    }

    @Test
    public void aWriteErrorMidFillIsInvisibleToItsReaders() throws Exception {
        final byte[] src = bytes(12 * CHUNK + 7, 6);
        final String k = key(6);
        disk.budget.set(3 * CHUNK + 100); // the fourth chunk does not fit
        final ControlledBody body = new ControlledBody();
        final Fill leader = store.fill(k);
        Pump.begin(leader, meta(src), body, null);
        final Fill joiner = store.fill(k);
        assertTrue(joiner.awaitBegun(1_000));
        final Future<byte[]> r1 = read(leader.newReader(), new AtomicLong());
        final Future<byte[]> r2 = read(joiner.newReader(), new AtomicLong());
        body.feed(src).end();
        assertArrayEquals(src, r1.get(10, TimeUnit.SECONDS));
        assertArrayEquals(src, r2.get(10, TimeUnit.SECONDS));
        assertEquals(1, disk.failures.get());
        assertEquals(3 * CHUNK, leader.bytesOnDisk());
        assertNull(store.find(k));
        awaitNoTempFiles(store);

        assertNull("after a write error new fills are relayed for a while", store.fill(key(7)));
        disk.budget.set(Long.MAX_VALUE); // space is back
        clock.advance(10_000);
        assertCachingWorks(7);
    }

    @Test
    public void aTempFileThatCannotBeCreatedRelaysFromTheFirstByte() throws Exception {
        disk.failCreate.set(true);
        final byte[] src = bytes(6 * CHUNK, 8);
        final Fill leader = store.fill(key(8));
        Pump.begin(leader, meta(src), new ControlledBody().feed(src).end(), null);
        try (Fill.FillReader r = leader.newReader()) {
            assertArrayEquals(src, TestData.readAll(r));
        }
        assertEquals(0, leader.bytesOnDisk());
        assertNull(store.find(key(8)));
        awaitNoTempFiles(store);
        disk.failCreate.set(false);
        clock.advance(10_000);
        assertCachingWorks(8);
    }

    @Test
    public void aFailingFsyncLeavesTheWholeBodyToItsReadersAndCachesNothing() throws Exception {
        disk.failForce.set(true);
        final byte[] src = bytes(5 * CHUNK, 9);
        final Fill leader = store.fill(key(9));
        Pump.begin(leader, meta(src), new ControlledBody().feed(src).end(), null);
        try (Fill.FillReader r = leader.newReader()) {
            assertArrayEquals(src, TestData.readAll(r));
        }
        assertNull(store.find(key(9)));
        awaitNoTempFiles(store);
    }

    @Test
    public void aVerifiedBodyReachesItsReadersWhileItsFsyncIsStillRunning() throws Exception {
        final CountDownLatch fsync = new CountDownLatch(1);
        disk.holdForce = fsync;
        final byte[] src = bytes(3 * CHUNK + 17, 11);
        final Fill leader = store.fill(key(11));
        Pump.begin(leader, meta(src), new ControlledBody().feed(src).end(), null);
        try (Fill.FillReader r = leader.newReader()) {
            // the whole body and its end, while the writer is held in fsync: no client waits for the disk
            assertArrayEquals(src, TestData.readAll(r));
        }
        assertNull("not an entry before it is durable", store.find(key(11)));
        final Fill joiner = store.fill(key(11));
        assertFalse("a request meanwhile joins the committing fill", joiner.isLeader());
        try (Fill.FillReader r = joiner.newReader()) {
            assertArrayEquals(src, TestData.readAll(r));
        }
        fsync.countDown();
        // committed once fsync returned, though every reader had left
        await("the entry is committed", 10_000, () -> store.find(key(11)) != null);
        awaitNoTempFiles(store);
    }

    @Test
    public void removingAKeyWhoseBodyIsStillBeingMadeDurableStartsAFreshFillAndDropsTheOld() throws Exception {
        final CountDownLatch fsync = new CountDownLatch(1);
        disk.holdForce = fsync;
        final byte[] old = bytes(2 * CHUNK, 12);
        final Fill first = store.fill(key(12));
        Pump.begin(first, meta(old), new ControlledBody().feed(old).end(), null);
        try (Fill.FillReader r = first.newReader()) {
            assertArrayEquals(old, TestData.readAll(r));
        }
        assertTrue("retry_caching drops the body being committed", store.remove(key(12)));
        final Fill fresh = store.fill(key(12));
        assertTrue("the next request downloads afresh", fresh.isLeader());
        fsync.countDown();
        disk.holdForce = null;
        final byte[] now = bytes(2 * CHUNK, 13);
        Pump.begin(fresh, meta(now), new ControlledBody().feed(now).end(), null);
        try (Fill.FillReader r = fresh.newReader()) {
            assertArrayEquals(now, TestData.readAll(r));
        }
        store.awaitCommits();
        await("the old fill is done", 10_000, () -> store.inFlightCount() == 0);
        assertArrayEquals("the old body never became the entry", now, TestData.readAll(store.find(key(12))));
        awaitNoTempFiles(store);
    }

    @Test
    public void aRemovalWhileTheCommitWaitsForTheKeysLockLeavesNoEntry() throws Exception {
        // retry_caching racing a commit that had looked for the removal mark before the key's lock: the commit
        // went on and left the old body as the entry, and the next request got it (CacheIT saw it so)
        final byte[] old = bytes(2 * CHUNK, 14);
        final ReentrantLock stripe = store.index().stripe(key(14));
        stripe.lock();
        try {
            final Fill first = store.fill(key(14));
            Pump.begin(first, meta(old), new ControlledBody().feed(old).end(), null);
            try (Fill.FillReader r = first.newReader()) {
                assertArrayEquals(old, TestData.readAll(r));
            }
            await("the commit waits for the key's lock", 10_000, stripe::hasQueuedThreads);
            assertTrue("retry_caching drops the body being committed", store.remove(key(14)));
        } finally {
            stripe.unlock();
        }
        await("the commit has had the key's lock", 10_000, () -> !stripe.hasQueuedThreads() && !stripe.isLocked());
        assertNull("the removed body never became the entry", store.find(key(14)));
        awaitNoTempFiles(store);
    }

    @Test
    public void aWrongBodyStillFailsWhenRelayedAndItsLastByteIsNeverReleased() throws Exception {
        final byte[] src = bytes(6 * CHUNK, 10);
        final byte[] wrong = src.clone();
        wrong[wrong.length - 1] ^= 1;
        final ControlledBody body = new ControlledBody();
        final Fill leader = store.fill(key(10));
        Pump.begin(leader, meta(src), body, null);
        final Fill.FillReader r = leader.newReader();
        monitor.zone(SpaceZone.ABOVE_HARD);
        body.feed(wrong);
        final byte[] buf = new byte[src.length];
        int got = 0;
        while (got < src.length - 1) {
            got += r.read(got, buf, got, buf.length - got);
        }
        body.end();
        try {
            r.read(got, buf, got, 1);
            fail("a wrong body must fail, relayed or not");
        } catch (final IOException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().contains("sha256"));
        }
        r.close();
        assertEquals(src.length - 1, got);
        awaitNoTempFiles(store);
    }

    @Test
    public void theWindowBoundsMemoryWhenAReaderStallsAndItsPaceSetsTheDownloads() throws Exception {
        final int length = 4 << 20;
        final MeteredBody body = new MeteredBody(length, 11);
        final Fill leader = store.fill(key(11));
        monitor.zone(SpaceZone.ABOVE_HARD); // from the first byte on, everything goes through memory
        Pump.begin(leader, new EntryMeta(length, null, null, null, null), body, null);
        final Fill.FillReader stalled = leader.newReader(); // opened, never reads
        final InFlightFill fill = ((FillHandle) leader).shared();

        await("the window is full", 5_000, () -> fill.relayBufferedBytes() == WINDOW);
        final long readUpstream = body.served.get();
        Thread.sleep(200); // would the writer go on?
        assertEquals("the writer waits; it reads no further upstream", readUpstream, body.served.get());
        assertTrue("at most the window plus the chunk in hand: " + readUpstream, readUpstream <= WINDOW + CHUNK);
        assertTrue(fill.relayBufferedBytes() <= WINDOW);

        final Future<byte[]> r = read(stalled, new AtomicLong());
        final byte[] got = r.get(20, TimeUnit.SECONDS);
        assertEquals(length, got.length);
        assertArrayEquals(body.expected(), got);
        assertTrue(fill.relayBufferedBytes() <= WINDOW);
    }

    @Test
    public void aReaderThatLeavesNoLongerHoldsTheWindow() throws Exception {
        final int length = 2 << 20;
        final MeteredBody body = new MeteredBody(length, 12);
        final Fill leader = store.fill(key(12));
        final Fill joiner = store.fill(key(12));
        monitor.zone(SpaceZone.ABOVE_HARD);
        Pump.begin(leader, new EntryMeta(length, null, null, null, null), body, null);
        assertTrue(joiner.awaitBegun(1_000));
        final Fill.FillReader stalled = leader.newReader();
        final AtomicLong progress = new AtomicLong();
        final Future<byte[]> reading = read(joiner.newReader(), progress);
        final InFlightFill fill = ((FillHandle) leader).shared();
        await("the stalled reader holds the window", 5_000, () -> fill.relayBufferedBytes() == WINDOW);
        assertFalse(reading.isDone());
        stalled.close();
        final byte[] got = reading.get(20, TimeUnit.SECONDS);
        assertArrayEquals(body.expected(), got);
    }

    @Test
    public void aJoinerBetweenItsHandleAndItsReaderIsStillServedWhole() throws Exception {
        final int length = 1 << 20;
        final MeteredBody body = new MeteredBody(length, 13);
        final Fill leader = store.fill(key(13));
        final Fill joiner = store.fill(key(13)); // its handle holds the start of the body for it
        monitor.zone(SpaceZone.ABOVE_HARD);
        Pump.begin(leader, new EntryMeta(length, null, null, null, null), body, null);
        assertTrue(joiner.awaitBegun(1_000));
        final Future<byte[]> first = read(leader.newReader(), new AtomicLong());
        final InFlightFill fill = ((FillHandle) leader).shared();
        await("the leader's reader is ahead, the window full", 5_000,
                () -> fill.isRelaying() && fill.relayBufferedBytes() == WINDOW);
        assertFalse(first.isDone());
        final Future<byte[]> late = read(joiner.newReader(), new AtomicLong());
        assertArrayEquals(body.expected(), first.get(20, TimeUnit.SECONDS));
        assertArrayEquals(body.expected(), late.get(20, TimeUnit.SECONDS));
    }

    @Test
    public void aJoinersHoldLastsUntilItIsReleasedNotForAWhile() throws Exception {
        final int length = 1 << 20;
        final MeteredBody body = new MeteredBody(length, 15);
        final Fill leader = store.fill(key(15));
        final Fill joiner = store.fill(key(15));
        monitor.zone(SpaceZone.ABOVE_HARD);
        Pump.begin(leader, new EntryMeta(length, null, null, null, null), body, null);
        assertTrue(joiner.awaitBegun(1_000));
        final Future<byte[]> first = read(leader.newReader(), new AtomicLong());
        final InFlightFill fill = ((FillHandle) leader).shared();
        await("the window is full, held at the start for the joiner", 5_000,
                () -> fill.isRelaying() && fill.relayBufferedBytes() == WINDOW);
        Thread.sleep(6_000); // longer than any hold was ever timed: the joiner may still come
        assertFalse("still held for the joiner", first.isDone());
        joiner.release(); // it fetches on its own after all
        assertArrayEquals(body.expected(), first.get(20, TimeUnit.SECONDS));
        leader.release(); // its reader is open: nothing changes
        awaitNoTempFiles(store);
    }

    @Test
    public void whenEveryReaderLeavesARelayingFillStopsAndCleansUp() throws Exception {
        final MeteredBody body = new MeteredBody(4 << 20, 14);
        final AtomicBoolean aborted = new AtomicBoolean();
        final Fill leader = store.fill(key(14));
        monitor.zone(SpaceZone.ABOVE_HARD);
        Pump.begin(leader, new EntryMeta(4 << 20, null, null, null, null), body, () -> aborted.set(true));
        final Fill.FillReader r = leader.newReader();
        final byte[] buf = new byte[1000];
        assertTrue(r.read(0, buf, 0, buf.length) > 0);
        final InFlightFill fill = ((FillHandle) leader).shared();
        assertTrue(fill.isRelaying());
        r.close();
        await("upstream closed", 5_000, aborted::get);
        assertEquals(InFlightFill.State.FAILED, fill.state());
        awaitNoTempFiles(store);
    }

    @Test
    public void closingTheStoreFailsARelayingFillLoudly() throws Exception {
        final ControlledBody body = new ControlledBody();
        final Fill leader = store.fill(key(15));
        Pump.begin(leader, new EntryMeta(10 * CHUNK, null, null, null, null), body, () -> body.fail("closed"));
        final Fill.FillReader r = leader.newReader();
        monitor.zone(SpaceZone.ABOVE_HARD);
        body.feed(bytes(CHUNK, 15));
        await("relaying", 5_000, () -> ((FillHandle) leader).shared().isRelaying());
        store.close();
        try {
            TestData.readAll(r);
            fail("a fill cut short by a stop must not look complete");
        } catch (final IOException expected) {
            // the client connection is aborted, as for any incomplete download
        }
        r.close();
        store = FileCacheStore.open(dir, TUNABLES, false, () -> monitor, clock, disk);
    }

    /** An upstream that serves a known body as fast as it is read, counting what it served. */
    private static final class MeteredBody extends InputStream {
        private final byte[] data;
        final AtomicLong served = new AtomicLong();

        MeteredBody(final int length, final long seed) {
            this.data = bytes(length, seed);
        }

        byte[] expected() {
            return data;
        }

        @Override
        public int read() {
            throw new UnsupportedOperationException();
        }

        @Override
        public int read(final byte[] b, final int off, final int len) {
            final int pos = (int) served.get();
            if (pos == data.length) {
                return -1;
            }
            final int n = Math.min(len, data.length - pos);
            System.arraycopy(data, pos, b, off, n);
            served.addAndGet(n);
            return n;
        }
    }
}
