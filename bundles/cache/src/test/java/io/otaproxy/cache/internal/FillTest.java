package io.otaproxy.cache.internal;

import static io.otaproxy.cache.internal.TestData.await;
import static io.otaproxy.cache.internal.TestData.awaitNoTempFiles;
import static io.otaproxy.cache.internal.TestData.bytes;
import static io.otaproxy.cache.internal.TestData.key;
import static io.otaproxy.cache.internal.TestData.meta;
import static io.otaproxy.cache.internal.TestData.readAll;
import static io.otaproxy.cache.internal.TestData.sha256;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.otaproxy.api.cache.CacheEntry;
import io.otaproxy.api.cache.EntryMeta;
import io.otaproxy.api.cache.Fill;
import io.otaproxy.api.space.SpaceState;
import io.otaproxy.api.space.SpaceZone;

import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class FillTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final ExecutorService threads = Executors.newCachedThreadPool();
    private Path dir;
    private FileCacheStore store;

    @Before
    public void openStore() throws IOException {
        dir = tmp.newFolder("cache").toPath();
        store = TestData.open(dir);
    }

    @After
    public void closeStore() {
        store.close();
        threads.shutdownNow();
    }

    private Future<byte[]> readInBackground(final Fill.FillReader reader, final AtomicLong progress) {
        return TestData.readInBackground(threads, reader, 4096, progress);
    }

    @Test
    public void readersFollowTheWriterBeforeTheFillCompletes() throws Exception {
        final byte[] src = bytes(300_000, 1);
        final String k = key(1);
        final ControlledBody body = new ControlledBody();
        final Fill leader = store.fill(k);
        assertTrue(leader.isLeader());
        Pump.begin(leader, meta(src), body, null);

        final List<AtomicLong> progress = new ArrayList<>();
        final List<Future<byte[]>> results = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            final Fill f = i == 0 ? leader : store.fill(k);
            assertEquals(i == 0, f.isLeader());
            assertTrue(f.awaitBegun(1_000));
            final AtomicLong p = new AtomicLong();
            progress.add(p);
            results.add(readInBackground(f.newReader(), p));
        }

        body.feed(Arrays.copyOfRange(src, 0, 100_000));
        await("every reader got bytes", 5_000, () -> progress.stream().allMatch(p -> p.get() > 0));
        await("the writer waits for upstream", 5_000, body::blocked);
        assertTrue("readers got bytes while the writer still blocks", body.blocked());
        assertNull("not complete yet", store.find(k));
        for (final Future<byte[]> r : results) {
            assertFalse(r.isDone());
        }

        body.feed(Arrays.copyOfRange(src, 100_000, src.length)).end();
        for (final Future<byte[]> r : results) {
            assertArrayEquals(src, r.get(5, TimeUnit.SECONDS));
        }
        store.awaitCommits();
        final CacheEntry entry = store.find(k);
        assertNotNull(entry);
        assertArrayEquals(src, readAll(entry));
        assertEquals(0, store.inFlightCount());
        assertTrue(body.closed());
    }

    @Test
    public void lastByteIsHeldBackUntilCommit() throws Exception {
        final byte[] src = bytes(1000, 2);
        final String k = key(2);
        final ControlledBody body = new ControlledBody();
        final Fill f = store.fill(k);
        Pump.begin(f, new EntryMeta(src.length, null, null, null, null), body, null);
        final Fill.FillReader reader = f.newReader();
        body.feed(src); // every byte is upstream, but the end is not known yet

        final byte[] buf = new byte[2000];
        int got = 0;
        while (got < src.length - 1) {
            got += reader.read(got, buf, got, buf.length - got);
        }
        assertEquals(src.length - 1, got);
        await("all bytes are on disk", 5_000, () -> f.bytesOnDisk() == src.length);
        final Future<Integer> last = threads.submit(() -> reader.read(src.length - 1, buf, src.length - 1, 100));
        try {
            last.get(150, TimeUnit.MILLISECONDS);
            fail("the last byte was released before the commit");
        } catch (final TimeoutException expected) {
            // held back
        }
        body.end();
        assertEquals(Integer.valueOf(1), last.get(5, TimeUnit.SECONDS));
        assertArrayEquals(src, Arrays.copyOf(buf, src.length));
        assertEquals(-1, reader.read(src.length, buf, 0, 10));
        reader.close();
    }

    @Test
    public void wrongSha256FailsReadersWhoNeverSawTheLastByte() throws Exception {
        final byte[] src = bytes(1000, 3);
        final String k = key(3);
        final ControlledBody body = new ControlledBody();
        final Fill f = store.fill(k);
        final AtomicBoolean aborted = new AtomicBoolean();
        Pump.begin(f, new EntryMeta(src.length, null, null, sha256(bytes(1000, 4)), null), body,
                () -> aborted.set(true));
        final Fill.FillReader reader = f.newReader();
        body.feed(src);
        final byte[] buf = new byte[2000];
        int got = 0;
        while (got < src.length - 1) {
            got += reader.read(got, buf, got, buf.length - got);
        }
        body.end();
        try {
            reader.read(got, buf, got, 100);
            fail("a wrong body must not complete");
        } catch (final IOException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().contains("sha256"));
        }
        assertEquals("never saw the last byte", src.length - 1, got);
        assertNull(store.find(k));
        await("onAbort ran", 5_000, aborted::get);
        reader.close();
        awaitNoTempFiles(store);
        assertTrue(store.fill(k).isLeader());
    }

    @Test
    public void upstreamFailureMidBodyFailsReadersAndCommitsNothing() throws Exception {
        final byte[] src = bytes(50_000, 5);
        final String k = key(5);
        final ControlledBody body = new ControlledBody();
        final Fill f = store.fill(k);
        final AtomicBoolean aborted = new AtomicBoolean();
        Pump.begin(f, meta(src), body, () -> aborted.set(true));
        final Fill joiner = store.fill(k);
        assertTrue(joiner.awaitBegun(1_000));
        final AtomicLong p1 = new AtomicLong();
        final AtomicLong p2 = new AtomicLong();
        final Future<byte[]> r1 = readInBackground(f.newReader(), p1);
        final Future<byte[]> r2 = readInBackground(joiner.newReader(), p2);
        body.feed(Arrays.copyOf(src, 20_000));
        await("readers got bytes", 5_000, () -> p1.get() > 0 && p2.get() > 0);
        body.fail("connection reset");
        for (final Future<byte[]> r : List.of(r1, r2)) {
            try {
                r.get(5, TimeUnit.SECONDS);
                fail("reader must fail");
            } catch (final ExecutionException e) {
                assertTrue(e.getCause() instanceof IOException);
            }
        }
        assertNull(store.find(k));
        await("onAbort ran", 5_000, aborted::get);
        final Fill next = store.fill(k);
        assertTrue("the next request starts a fresh fill", next.isLeader());
        next.abandon();
        awaitNoTempFiles(store);
    }

    @Test
    public void shorterBodyThanAnnouncedIsNotCommitted() throws Exception {
        assertLengthMismatch(500);
    }

    @Test
    public void longerBodyThanAnnouncedIsNotCommitted() throws Exception {
        assertLengthMismatch(1500);
    }

    private void assertLengthMismatch(final int actualLength) throws Exception {
        final byte[] src = bytes(actualLength, 6);
        final String k = key(6);
        final Fill f = store.fill(k);
        Pump.begin(f, new EntryMeta(1000, null, null, null, null), new ControlledBody().feed(src).end(), null);
        try (Fill.FillReader reader = f.newReader()) { // the fill may already have failed here: fine too
            readAll(reader);
            fail("a body of the wrong length must fail");
        } catch (final IOException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().contains("length"));
        }
        assertNull(store.find(k));
        awaitNoTempFiles(store);
    }

    @Test
    public void unknownLengthIsCommittedWithTheLengthSeen() throws Exception {
        final byte[] src = bytes(70_000, 7);
        final String k = key(7);
        final Fill f = store.fill(k);
        Pump.begin(f, new EntryMeta(-1, "text/plain", null, null, null), new ControlledBody().feed(src).end(), null);
        try (Fill.FillReader reader = f.newReader()) {
            assertArrayEquals(src, readAll(reader));
        }
        store.awaitCommits();
        assertEquals(src.length, store.find(k).meta().length());
        assertEquals(src.length, f.meta().length());
    }

    @Test
    public void emptyBodiesAreCached() throws Exception {
        for (final long announced : new long[] {0, -1}) {
            final String k = key(announced == 0 ? 8 : 9);
            final Fill f = store.fill(k);
            Pump.begin(f, new EntryMeta(announced, null, null, sha256(new byte[0]), null), new ControlledBody().end(),
                    null);
            try (Fill.FillReader reader = f.newReader()) {
                assertEquals(0, readAll(reader).length);
            }
            store.awaitCommits();
            final CacheEntry e = store.find(k);
            assertNotNull(e);
            assertEquals(0, e.meta().length());
            assertEquals(0, readAll(e).length);
        }
    }

    @Test
    public void exactlyOneLeaderAmongConcurrentCallers() throws Exception {
        final String k = key(10);
        final int callers = 32;
        final CyclicBarrier start = new CyclicBarrier(callers);
        final List<Future<Fill>> fills = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            fills.add(threads.submit(() -> {
                start.await();
                return store.fill(k);
            }));
        }
        int leaders = 0;
        InFlightFill shared = null;
        for (final Future<Fill> f : fills) {
            final FillHandle h = (FillHandle) f.get(5, TimeUnit.SECONDS);
            leaders += h.isLeader() ? 1 : 0;
            if (shared == null) {
                shared = h.shared();
            }
            assertSame("everyone shares one fill", shared, h.shared());
        }
        assertEquals(1, leaders);
    }

    @Test
    public void abandonReleasesJoinersAndTheKey() throws Exception {
        final String k = key(11);
        final Fill leader = store.fill(k);
        final Fill joiner = store.fill(k);
        assertFalse(joiner.isLeader());
        final Future<Boolean> waiting = threads.submit(() -> joiner.awaitBegun(10_000));
        leader.abandon();
        assertFalse(waiting.get(5, TimeUnit.SECONDS));
        assertTrue(store.fill(k).isLeader());
        try {
            joiner.abandon();
            fail("a joiner may not abandon");
        } catch (final IllegalStateException expected) {
            // leader only
        }
    }

    @Test
    public void joinerWaitTimesOut() throws Exception {
        final String k = key(12);
        store.fill(k);
        assertFalse(store.fill(k).awaitBegun(30));
    }

    @Test
    public void leaderThatNeverBeginsIsDropped() throws Exception {
        store.close();
        final TestData.ManualClock clock = new TestData.ManualClock();
        store = TestData.open(dir, new StoreTunables(1_000, 60_000, 60_000), false, () -> null, clock);
        final String k = key(13);
        final Fill leader = store.fill(k);
        final Fill joiner = store.fill(k);
        final Future<Boolean> waiting = threads.submit(() -> joiner.awaitBegun(10_000));
        clock.advance(59_000);
        store.sweepStaleFills();
        assertFalse(store.fill(k).isLeader());
        clock.advance(2_000);
        store.sweepStaleFills();
        assertFalse("joiners are released", waiting.get(5, TimeUnit.SECONDS));
        final Fill fresh = store.fill(k);
        assertTrue(fresh.isLeader());
        assertNotSame(((FillHandle) leader).shared(), ((FillHandle) fresh).shared());

        // without the sweep, the next caller replaces a stale leader itself
        clock.advance(61_000);
        assertTrue(store.fill(k).isLeader());
        final Fill.FillReader r;
        Pump.begin(leader, new EntryMeta(1, null, null, null, null), new ControlledBody(), null); // too late
        try {
            r = leader.newReader();
            r.close();
            fail("a dropped fill cannot be read");
        } catch (final IOException expected) {
            // abandoned
        }
    }

    @Test
    public void fillWithoutReadersIsAbortedUnlessAlwaysFinish() throws Exception {
        final byte[] src = bytes(40_000, 14);
        final String k = key(14);
        final ControlledBody body = new ControlledBody();
        final AtomicBoolean aborted = new AtomicBoolean();
        final Fill f = store.fill(k);
        Pump.begin(f, meta(src), body, () -> {
            aborted.set(true);
            body.fail("closed by onAbort"); // as closing the upstream connection would
        });
        final Fill.FillReader reader = f.newReader();
        body.feed(Arrays.copyOf(src, 10_000));
        await("bytes on disk", 5_000, () -> f.bytesOnDisk() == 10_000);
        reader.close();
        await("aborted", 5_000, aborted::get);
        await("writer stopped", 5_000, body::closed);
        assertNull(store.find(k));
        assertTrue(store.fill(k).isLeader());
        awaitNoTempFiles(store);

        store.alwaysFinish(true);
        final String k2 = key(15);
        final ControlledBody body2 = new ControlledBody();
        final AtomicBoolean aborted2 = new AtomicBoolean();
        final Fill f2 = store.fill(k2);
        Pump.begin(f2, meta(src), body2, () -> aborted2.set(true));
        f2.newReader().close();
        body2.feed(src).end();
        await("committed without readers", 5_000, () -> store.find(k2) != null);
        assertFalse(aborted2.get());
        assertArrayEquals(src, readAll(store.find(k2)));
    }

    @Test
    public void aFillToRunToItsEndGoesOnWhenEveryReaderLeavesAndIsNotHeldForItsLeader() throws Exception {
        final byte[] src = bytes(40_000, 24);
        final String k = key(24);
        final ControlledBody body = new ControlledBody();
        final AtomicBoolean aborted = new AtomicBoolean();
        final Fill leader = store.fill(k);
        Pump.begin(leader, meta(src), body, () -> aborted.set(true));
        leader.runToEnd(); // its client asked for a range only
        final Fill joiner = store.fill(k);
        assertTrue(joiner.awaitBegun(1_000));
        final Fill.FillReader reader = joiner.newReader();
        body.feed(Arrays.copyOf(src, 10_000));
        await("bytes on disk", 5_000, () -> leader.bytesOnDisk() == 10_000);
        reader.close(); // the last reader hangs up
        body.feed(Arrays.copyOfRange(src, 10_000, src.length)).end();
        await("committed without readers", 5_000, () -> store.find(k) != null);
        assertFalse(aborted.get());
        assertArrayEquals(src, readAll(store.find(k)));
        assertEquals("nothing pins the entry for a leader that never reads", 0, store.pins().count(k));
    }

    @Test
    public void aJoinerWantingPartOfTheBodyKeepsTheDownloadGoingAfterTheLastReaderLeaves() throws Exception {
        final byte[] src = bytes(40_000, 25);
        final String k = key(25);
        final ControlledBody body = new ControlledBody();
        final AtomicBoolean aborted = new AtomicBoolean();
        final Fill leader = store.fill(k);
        Pump.begin(leader, meta(src), body, () -> aborted.set(true));
        final Fill.FillReader whole = leader.newReader(); // a client of the whole file
        final Fill segment = store.fill(k); // a client of a segment far ahead, fetched on its own
        assertTrue(segment.awaitBegun(1_000));
        segment.runToEnd();
        segment.release();
        body.feed(Arrays.copyOf(src, 10_000));
        await("bytes on disk", 5_000, () -> leader.bytesOnDisk() == 10_000);
        whole.close(); // the client of the whole file leaves once it has its part
        body.feed(Arrays.copyOfRange(src, 10_000, src.length)).end();
        await("committed without readers", 5_000, () -> store.find(k) != null);
        assertFalse(aborted.get());
        assertArrayEquals(src, readAll(store.find(k)));
    }

    @Test
    public void aJoinerLeavingBeforeTheLeaderOpensItsReaderDoesNotAbort() throws Exception {
        final byte[] src = bytes(5000, 23);
        final String k = key(23);
        final ControlledBody body = new ControlledBody();
        final AtomicBoolean aborted = new AtomicBoolean();
        final Fill leader = store.fill(k);
        Pump.begin(leader, meta(src), body, () -> aborted.set(true));
        final Fill joiner = store.fill(k);
        assertTrue(joiner.awaitBegun(1_000));
        joiner.newReader().close();
        assertFalse(aborted.get());
        try (Fill.FillReader r = leader.newReader()) {
            body.feed(src).end();
            assertArrayEquals(src, readAll(r));
        }
        store.awaitCommits();
        assertNotNull(store.find(k));
    }

    @Test
    public void fillGoesOnWhenTheLeadersReaderLeavesButAnotherReads() throws Exception {
        final byte[] src = bytes(60_000, 16);
        final String k = key(16);
        final ControlledBody body = new ControlledBody();
        final AtomicBoolean aborted = new AtomicBoolean();
        final Fill leader = store.fill(k);
        Pump.begin(leader, meta(src), body, () -> aborted.set(true));
        final Fill.FillReader leaderReader = leader.newReader();
        final Fill joiner = store.fill(k);
        assertTrue(joiner.awaitBegun(1_000));
        final AtomicLong p = new AtomicLong();
        final Future<byte[]> other = readInBackground(joiner.newReader(), p);
        body.feed(Arrays.copyOf(src, 20_000));
        await("joiner reads", 5_000, () -> p.get() > 0);
        leaderReader.close();
        body.feed(Arrays.copyOfRange(src, 20_000, src.length)).end();
        assertArrayEquals(src, other.get(5, TimeUnit.SECONDS));
        assertFalse(aborted.get());
        store.awaitCommits();
        assertNotNull(store.find(k));
    }

    @Test
    public void aboveTheHardLimitNewFillsAreRefusedButHitsServed() throws Exception {
        final String k = key(17);
        final byte[] src = bytes(10, 17);
        final Fill f = store.fill(k);
        Pump.begin(f, meta(src), new ControlledBody().feed(src).end(), null);
        try (Fill.FillReader r = f.newReader()) {
            readAll(r);
        }
        store.close();
        final AtomicLong zone = new AtomicLong(SpaceZone.ABOVE_HARD.ordinal());
        store = TestData.open(dir, TestData.FAST, false,
                () -> () -> new SpaceState(SpaceZone.values()[(int) zone.get()], 100, 1, 99, 70, 80, 0, 0),
                System::currentTimeMillis);
        assertNull(store.fill(key(18)));
        assertNotNull("hits are still served", store.find(k));
        zone.set(SpaceZone.ABOVE_SOFT.ordinal());
        assertNotNull(store.fill(key(18)));
    }

    @Test
    public void closeLetsRunningFillsFinishWithinTheGracePeriod() throws Exception {
        final byte[] src = bytes(30_000, 19);
        final String k = key(19);
        final ControlledBody body = new ControlledBody();
        final Fill f = store.fill(k);
        Pump.begin(f, meta(src), body, null);
        final AtomicLong p = new AtomicLong();
        final Future<byte[]> reader = readInBackground(f.newReader(), p);
        body.feed(Arrays.copyOf(src, 10_000));
        final Future<?> closing = threads.submit(store::close);
        await("the store refuses new fills", 5_000, () -> store.fill(key(20)) == null);
        body.feed(Arrays.copyOfRange(src, 10_000, src.length)).end();
        assertArrayEquals(src, reader.get(5, TimeUnit.SECONDS));
        closing.get(5, TimeUnit.SECONDS);
        store = TestData.open(dir);
        assertArrayEquals("committed and recorded before the close", src, readAll(store.find(k)));
    }

    @Test
    public void closeFailsFillsStillRunningAfterTheGracePeriod() throws Exception {
        store.close();
        store = TestData.open(dir, new StoreTunables(200, 60_000, 50), false, () -> null,
                System::currentTimeMillis);
        final byte[] src = bytes(30_000, 21);
        final String k = key(21);
        final ControlledBody body = new ControlledBody();
        final AtomicBoolean aborted = new AtomicBoolean();
        final Fill f = store.fill(k);
        Pump.begin(f, meta(src), body, () -> {
            aborted.set(true);
            body.fail("closed by onAbort"); // as closing the upstream connection would
        });
        final Fill notBegun = store.fill(key(22));
        final Fill.FillReader reader = f.newReader();
        body.feed(Arrays.copyOf(src, 10_000));
        await("bytes on disk", 5_000, () -> f.bytesOnDisk() == 10_000);
        final long t0 = System.nanoTime();
        store.close();
        assertTrue("grace period respected", System.nanoTime() - t0 >= 150_000_000L);
        await("onAbort ran", 5_000, aborted::get);
        try {
            readAll(reader);
            fail("a fill failed at shutdown must fail its readers");
        } catch (final IOException expected) {
            // aborted loudly
        }
        reader.close();
        assertFalse("a fill not begun is abandoned at close", notBegun.awaitBegun(10));
        store = TestData.open(dir);
        assertNull(store.find(k));
    }
}
