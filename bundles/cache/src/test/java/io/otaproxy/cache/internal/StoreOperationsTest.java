package io.otaproxy.cache.internal;

import static io.otaproxy.cache.internal.TestData.await;
import static io.otaproxy.cache.internal.TestData.bytes;
import static io.otaproxy.cache.internal.TestData.key;
import static io.otaproxy.cache.internal.TestData.readAll;
import static io.otaproxy.cache.internal.TestData.sha256;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import io.otaproxy.api.cache.EntryMeta;
import io.otaproxy.api.cache.Fill;
import io.otaproxy.api.stats.FillProgress;

import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The operator's view of a real store: downloads in flight, failure counters, purge and evict. */
public class StoreOperationsTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private FileCacheStore store;
    private StoreOperations ops;

    @Before
    public void openStore() throws IOException {
        final Path dir = tmp.newFolder("cache").toPath();
        store = TestData.open(dir);
        ops = new StoreOperations(store);
    }

    @After
    public void closeStore() {
        store.close();
    }

    @Test
    public void aRunningFillShowsItsBytesLengthAndReaders() throws Exception {
        final byte[] body = bytes(1_000, 3);
        final String k = key(3);
        final Fill fill = store.fill(k);
        assertEquals("waiting", only(ops.fills()).state());
        final ControlledBody upstream = new ControlledBody();
        Pump.begin(fill, new EntryMeta(body.length, null, null, sha256(body), null), upstream, null);
        upstream.feed(Arrays.copyOf(body, 300));
        try (Fill.FillReader reader = fill.newReader()) {
            await("300 bytes on disk", 5_000, () -> only(ops.fills()).bytesReceived() == 300);
            final FillProgress p = only(ops.fills());
            assertEquals(k, p.key());
            assertEquals("downloading", p.state());
            assertEquals(1_000, p.expectedBytes());
            assertEquals(1, p.readers());
            assertTrue("started just now", Math.abs(System.currentTimeMillis() - p.startedAtMillis()) < 60_000);
            upstream.feed(Arrays.copyOfRange(body, 300, body.length)).end();
            assertArrayEquals(body, readAll(reader));
        }
        await("the fill ended", 5_000, () -> ops.fills().isEmpty());
        assertEquals(1, ops.entries());
        assertTrue(ops.usedBytes() >= body.length);
    }

    @Test
    public void aWrongSha256CountsAsAnIntegrityFailureAndIsListed() throws Exception {
        final byte[] body = bytes(5_000, 4);
        final Fill fill = store.fill(key(4));
        Pump.begin(fill, new EntryMeta(body.length, null, null, sha256(bytes(5_000, 5)), null),
                new java.io.ByteArrayInputStream(body), null);
        // the whole body is there at once: the fill may have failed before the reader opens, or while it reads
        assertThrows(IOException.class, () -> {
            try (Fill.FillReader reader = fill.newReader()) {
                readAll(reader);
            }
        });
        // counted by the writer right after it failed the fill, which is when the reader woke up
        await("counted", 5_000, () -> ops.integrityFailures() == 1);
        assertEquals(0, ops.upstreamFailures());
        assertTrue(ops.recentErrors().toString(), ops.recentErrors().get(0).message().contains("wrong sha256"));
        assertEquals(0, ops.entries());
    }

    @Test
    public void anUpstreamBreakingOffCountsAsAnUpstreamFailure() throws Exception {
        final Fill fill = store.fill(key(6));
        final ControlledBody upstream = new ControlledBody();
        Pump.begin(fill, new EntryMeta(10_000, null, null, null, null), upstream, null);
        upstream.feed(bytes(100, 6)).fail("connection reset");
        assertThrows(IOException.class, () -> {
            try (Fill.FillReader reader = fill.newReader()) {
                readAll(reader);
            }
        });
        await("counted", 5_000, () -> ops.upstreamFailures() == 1);
        assertEquals(0, ops.integrityFailures());
        assertTrue(ops.recentErrors().get(0).message().contains("connection reset"));
    }

    @Test
    public void purgeRemovesOneEntryOrAll() throws Exception {
        for (int i = 10; i < 13; i++) {
            final byte[] body = bytes(2_000, i);
            FileCacheStoreTest.commit(store, key(i), body, new EntryMeta(body.length, null, null, null, null));
        }
        assertEquals(3, ops.entries());
        assertTrue(ops.purge(key(10)));
        assertFalse("already gone", ops.purge(key(10)));
        assertNull(store.find(key(10)));
        assertThrows(IllegalArgumentException.class, () -> ops.purge("../../etc/passwd"));
        assertEquals(2, ops.purgeAll());
        assertEquals(0, ops.entries());
        assertNull(store.find(key(11)));
    }

    @Test
    public void evictNowFreesNothingWithoutSpacePressure() {
        assertEquals(0, ops.evictNow());
        assertEquals(0, ops.evictedEntries());
    }

    private static FillProgress only(final List<FillProgress> fills) {
        assertEquals(fills.toString(), 1, fills.size());
        return fills.get(0);
    }
}
