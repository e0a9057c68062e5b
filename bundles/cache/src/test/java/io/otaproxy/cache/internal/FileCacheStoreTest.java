package io.otaproxy.cache.internal;

import static io.otaproxy.cache.internal.TestData.bytes;
import static io.otaproxy.cache.internal.TestData.key;
import static io.otaproxy.cache.internal.TestData.readAll;
import static io.otaproxy.cache.internal.TestData.sha256;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Stream;

import io.otaproxy.api.cache.CacheEntry;
import io.otaproxy.api.cache.EntryMeta;
import io.otaproxy.api.cache.Fill;
import io.otaproxy.api.eviction.EvictionPolicy;

import org.junit.After;
import org.junit.Assume;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class FileCacheStoreTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

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
    }

    static CacheEntry commit(final FileCacheStore store, final String key, final byte[] body, final EntryMeta meta)
            throws Exception {
        final Fill f = store.fill(key);
        assertTrue(f.isLeader());
        Pump.begin(f, meta, new ByteArrayInputStream(body), null);
        try (Fill.FillReader r = f.newReader()) {
            assertArrayEquals(body, readAll(r));
        }
        store.awaitCommits(); // the reader had every byte before the fsync
        return store.find(key);
    }

    @Test
    public void committedFillIsFoundWithItsBody() throws Exception {
        final byte[] body = bytes(200_000, 1);
        final String k = key(1);
        assertNull(store.find(k));
        final CacheEntry e = commit(store, k, body, new EntryMeta(body.length, "a/b", null, sha256(body), null));
        assertNotNull(e);
        assertEquals(k, e.key());
        assertArrayEquals(body, readAll(e));
        assertTrue(Files.isRegularFile(dir.resolve("v1/data/" + k.substring(0, 2) + "/" + k)));
    }

    @Test
    public void metadataSurvivesARestartExactly() throws Exception {
        final byte[] body = bytes(5000, 2);
        final String k = key(2);
        final EntryMeta meta = new EntryMeta(body.length, "text/plain; charset=\"utf-8\"\t%x ü", "-", null, "zst");
        commit(store, k, body, meta);
        final String k2 = key(3);
        final EntryMeta meta2 = new EntryMeta(3, "", null, sha256(new byte[] {1, 2, 3}), null);
        commit(store, k2, new byte[] {1, 2, 3}, meta2);
        store.close();
        store = TestData.open(dir);
        assertEquals(meta, store.find(k).meta());
        assertEquals(meta2, store.find(k2).meta());
        assertArrayEquals(body, readAll(store.find(k)));
    }

    @Test
    public void refreshedHeadersReplaceTheStoredOnesDurablyAndKeepTheBody() throws Exception {
        final byte[] body = bytes(3000, 5);
        final String k = key(5);
        final EntryMeta meta = new EntryMeta(body.length, "a/b", null, null, null, "ETag: \"v1\"", 1000, "ae=gzip");
        commit(store, k, body, meta);
        final CacheEntry before = store.find(k);
        final CacheEntry refreshed = store.refresh(k,
                new EntryMeta(-1, null, null, null, null, "ETag: \"v1\"\nCache-Control: max-age=60", 2000, null));
        assertEquals(new EntryMeta(body.length, "a/b", null, null, null, "ETag: \"v1\"\nCache-Control: max-age=60",
                2000, "ae=gzip"), refreshed.meta());
        assertArrayEquals("a reader of the entry as it was still reads it", body, readAll(before));
        assertNull("nothing to refresh", store.refresh(key(6), meta));
        store.close();
        store = TestData.open(dir);
        assertEquals(refreshed.meta(), store.find(k).meta());
        assertArrayEquals(body, readAll(store.find(k)));
    }

    @Test
    public void aNewStoreOnTheSameDirectorySeesEveryEntry() throws Exception {
        final List<byte[]> bodies = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            final byte[] b = bytes(i * 1000, i);
            bodies.add(b);
            commit(store, key(100 + i), b, new EntryMeta(b.length, null, null, sha256(b), null));
        }
        store.close();
        store = TestData.open(dir);
        assertEquals(20, store.size());
        for (int i = 0; i < 20; i++) {
            assertArrayEquals(bodies.get(i), readAll(store.find(key(100 + i))));
        }
    }

    @Test
    public void removeKeepsOpenReadersReadingTheOldBody() throws Exception {
        final byte[] body = bytes(100_000, 4);
        final String k = key(4);
        final CacheEntry e = commit(store, k, body, new EntryMeta(body.length, null, null, null, null));
        try (FileChannel held = e.open()) {
            assertTrue(store.remove(k));
            assertNull(store.find(k));
            assertFalse(store.remove(k));
            final ByteBuffer buf = ByteBuffer.allocate(body.length);
            while (buf.hasRemaining() && held.read(buf) >= 0) {
                // the open file stays readable after its name is gone
            }
            assertArrayEquals(body, buf.array());
        }
        assertFalse(Files.exists(dir.resolve("v1/data/" + k.substring(0, 2) + "/" + k)));
        store.close();
        store = TestData.open(dir);
        assertNull("the removal is durable", store.find(k));
    }

    /** Descriptors of this process open on {@code file} (Linux: /proc/self/fd), deleted or not. */
    private static long descriptorsOn(final Path file) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith(file.toString());
                } catch (final IOException e) {
                    return false; // closed while listing
                }
            }).count();
        }
    }

    @Test
    public void keepsAQuarterOfTheDescriptorLimitOpenWithinBounds() {
        assertEquals(64, EntryIndex.openFileLimit(0));
        assertEquals(64, EntryIndex.openFileLimit(256));
        assertEquals(256, EntryIndex.openFileLimit(1024));
        assertEquals(4096, EntryIndex.openFileLimit(1_048_576));
        assertTrue(EntryIndex.MAX_OPEN_FILES >= 64 && EntryIndex.MAX_OPEN_FILES <= 4096);
    }

    @Test
    public void hitsShareOneDescriptorThatGoesWithTheEntryOrWhenIdle() throws Exception {
        Assume.assumeTrue("needs /proc/self/fd", Files.isDirectory(Path.of("/proc/self/fd")));
        final byte[] body = bytes(50_000, 6);
        final String k = key(6);
        commit(store, k, body, new EntryMeta(body.length, null, null, null, null));
        final Path data = dir.resolve("v1/data/" + k.substring(0, 2) + "/" + k);
        try (FileChannel a = store.find(k).open(); FileChannel b = store.find(k).open()) {
            assertEquals("two readers, one descriptor", 1, descriptorsOn(data));
            final ByteBuffer buf = ByteBuffer.allocate(body.length);
            while (buf.hasRemaining() && a.read(buf) >= 0) {
                // reads through the shared descriptor
            }
            assertArrayEquals(body, buf.array());
        }
        assertEquals("kept open for the next hit", 1, descriptorsOn(data));
        store.closeIdleFiles(0);
        assertEquals("closed when idle", 0, descriptorsOn(data));
        try (FileChannel c = store.find(k).open()) {
            assertEquals(body.length, c.size());
            assertTrue(store.remove(k));
            assertEquals("a reader keeps the removed file", 1, descriptorsOn(data));
        }
        assertEquals("removed: no descriptor keeps its blocks", 0, descriptorsOn(data));
    }

    @Test
    public void keysThatAreNot64LowerCaseHexAreRefused() {
        final String valid = key(5);
        final List<String> bad = List.of("", "abc", valid.toUpperCase(), valid + "0", valid.substring(1),
                "../" + valid.substring(3), valid.substring(0, 63) + "/", valid.substring(0, 63) + "g",
                "URL_" + valid.substring(4));
        for (final String k : bad) {
            for (final Consumer<String> call : List.<Consumer<String>>of(store::find, store::fill, store::remove)) {
                try {
                    call.accept(k);
                    fail("accepted key " + k);
                } catch (final IllegalArgumentException expected) {
                    // refused at the boundary
                }
            }
        }
        try {
            store.find(null);
            fail("accepted null");
        } catch (final IllegalArgumentException expected) {
            // refused
        }
    }

    @Test
    public void evictionPolicyIsToldAboutAddsAccessesRemovalsAndReplayedOnArrival() throws Exception {
        final RecordingPolicy early = new RecordingPolicy();
        store.useEvictionPolicy(early);
        final byte[] body = bytes(1234, 6);
        commit(store, key(6), body, new EntryMeta(body.length, null, null, null, null));
        commit(store, key(7), body, new EntryMeta(body.length, null, null, null, null));
        assertEquals(Long.valueOf(1234), early.sizes.get(key(6)));
        store.flushAccesses(); // the commit helper's own lookups
        early.accesses.clear();

        assertNotNull(store.find(key(6)));
        assertEquals("accesses are batched, not reported on the hit path", 0, early.accesses.size());
        assertEquals(1, store.flushAccesses());
        assertEquals(List.of(key(6)), early.accesses);

        assertTrue(store.remove(key(7)));
        assertFalse(early.sizes.containsKey(key(7)));

        final RecordingPolicy late = new RecordingPolicy();
        store.useEvictionPolicy(late);
        assertEquals(Map.of(key(6), 1234L), late.sizes);
        commit(store, key(8), body, new EntryMeta(body.length, null, null, null, null));
        assertFalse("the replaced policy hears nothing more", early.sizes.containsKey(key(8)));
        assertTrue(late.sizes.containsKey(key(8)));
    }

    @Test
    public void accessTimesAreWrittenLazilyAndSurviveARestart() throws Exception {
        store.close();
        final TestData.ManualClock clock = new TestData.ManualClock();
        store = TestData.open(dir, new StoreTunables(1000, 60_000, 60_000), false, () -> null, clock);
        final byte[] body = bytes(10, 9);
        commit(store, key(9), body, new EntryMeta(body.length, null, null, null, null));
        final long committedAt = clock.getAsLong();
        clock.advance(5_000);
        store.find(key(9));
        store.close(); // flushes accesses
        store = TestData.open(dir, new StoreTunables(1000, 60_000, 60_000), false, () -> null, clock);
        final RecordingPolicy policy = new RecordingPolicy();
        store.useEvictionPolicy(policy);
        assertEquals(Long.valueOf(committedAt + 5_000), policy.lastAccess.get(key(9)));
    }

    @Test
    public void theStoreSurvivesItsDirectoryBeingRemovedAndCachesAgain() throws Exception {
        final byte[] old = bytes(5000, 30);
        commit(store, key(30), old, new EntryMeta(old.length, null, null, null, null));
        StartupScan.deleteTree(dir);
        Files.createDirectories(dir); // as the disk monitor does
        assertNull("its file is gone: a miss", readableOrNull(store.find(key(30))));

        final byte[] body = bytes(7000, 31);
        commit(store, key(31), body, new EntryMeta(body.length, null, null, sha256(body), null));
        assertArrayEquals("a fill works at once: the temp directory is recreated", body, readAll(store.find(key(31))));
        store.maintainNow(); // the tick notices the missing journal
        assertTrue(Files.exists(dir.resolve("v1/journal")));
        assertEquals(body.length, store.usedBytes());

        store.close();
        store = TestData.open(dir);
        assertArrayEquals("committed after the removal, and durable", body, readAll(store.find(key(31))));
        assertNull(store.find(key(30)));
    }

    private static CacheEntry readableOrNull(final CacheEntry e) {
        try {
            return e == null ? null : readAll(e) != null ? e : null;
        } catch (final IOException gone) {
            return null;
        }
    }

    /** A policy that remembers what it was told. */
    static final class RecordingPolicy implements EvictionPolicy {
        final Map<String, Long> sizes = new ConcurrentHashMap<>();
        final Map<String, Long> lastAccess = new ConcurrentHashMap<>();
        final List<String> accesses = new ArrayList<>();
        final AtomicInteger removals = new AtomicInteger();

        @Override
        public String name() {
            return "recording";
        }

        @Override
        public void added(final String key, final long sizeBytes, final long lastAccessMillis) {
            sizes.put(key, sizeBytes);
            lastAccess.put(key, lastAccessMillis);
        }

        @Override
        public synchronized void accessed(final String key, final long accessMillis) {
            accesses.add(key);
            lastAccess.put(key, accessMillis);
        }

        @Override
        public void removed(final String key) {
            removals.incrementAndGet();
            sizes.remove(key);
        }

        @Override
        public List<String> victims(final long bytesToFree, final Predicate<String> pinned) {
            return List.of();
        }
    }
}
