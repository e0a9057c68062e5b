package io.otaproxy.cache.internal;

import static io.otaproxy.cache.internal.FileCacheStoreTest.commit;
import static io.otaproxy.cache.internal.TestData.bytes;
import static io.otaproxy.cache.internal.TestData.key;
import static io.otaproxy.cache.internal.TestData.readAll;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;

import io.otaproxy.api.cache.CacheEntry;
import io.otaproxy.api.cache.EntryMeta;

import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class RecoveryTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private Path dir;
    private StoreLayout layout;
    private FileCacheStore store;

    @Before
    public void setUp() throws IOException {
        dir = tmp.newFolder("cache").toPath();
        layout = new StoreLayout(dir);
    }

    @After
    public void tearDown() {
        if (store != null) {
            store.close();
        }
    }

    private static EntryMeta plain(final int length) {
        return new EntryMeta(length, null, null, null, null);
    }

    private static long count(final Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.count();
        }
    }

    /** The entry is gone, or refuses to open: either way no byte of it reaches a client. */
    private void assertNotServed(final String key) {
        final CacheEntry e = store.find(key);
        if (e != null) {
            try {
                e.open().close();
                fail("an entry whose file is missing or of the wrong size must never be served");
            } catch (final IOException expected) {
                assertNull("and it is forgotten at once", store.find(key));
            }
        }
    }

    @Test
    public void aCrashLeavesOnlyCompleteEntriesAndLeftoversAreCleaned() throws Exception {
        store = TestData.open(dir);
        final byte[] good = bytes(3000, 1);
        commit(store, key(1), good, plain(good.length));
        commit(store, key(2), bytes(100, 2), plain(100)); // its file will go missing
        commit(store, key(3), bytes(100, 3), plain(100)); // its file will be cut short
        store.close();
        store = null;

        // what a power cut at various moments leaves behind
        Files.write(layout.tmpDir().resolve(key(4) + ".0123456789abcdef"), bytes(500, 4)); // fill in flight
        final Path orphan = layout.dataFile(key(5)); // renamed into place, journal record not yet written
        Files.write(orphan, bytes(200, 5));
        final Path junk = layout.dataDir().resolve("ab/not-a-key");
        Files.write(junk, new byte[1]);
        Files.delete(layout.dataFile(key(2)));
        Files.write(layout.dataFile(key(3)), bytes(60, 3));
        Files.write(layout.journal(), ("C\t" + key(6) + "\t12\t1700").getBytes(StandardCharsets.US_ASCII),
                StandardOpenOption.APPEND); // a torn last line
        Files.write(layout.dataFile(key(6)), new byte[12]);

        store = TestData.open(dir);
        assertArrayEquals(good, readAll(store.find(key(1))));
        assertNull("torn record", store.find(key(6)));
        assertEquals("temp files go at start-up", 0, count(layout.tmpDir()));
        assertNotServed(key(2)); // even before the background scan has looked at the files
        assertNotServed(key(3));
        assertTrue(store.awaitStartupScan(10_000));
        assertNull("record without its file", store.find(key(2)));
        assertNull("wrong size", store.find(key(3)));
        assertFalse(Files.exists(layout.dataFile(key(3))));
        assertFalse("orphans are deleted", Files.exists(orphan));
        assertFalse(Files.exists(junk));
        assertFalse(Files.exists(layout.dataFile(key(6))));
        assertEquals(1, store.size());

        store.close();
        store = TestData.open(dir);
        assertEquals("the compacted journal reads cleanly", 1, store.size());
        assertArrayEquals(good, readAll(store.find(key(1))));
    }

    @Test
    public void aCorruptJournalStartsEmptyAndDropsTheData() throws Exception {
        store = TestData.open(dir);
        commit(store, key(1), bytes(10, 1), plain(10));
        commit(store, key(2), bytes(10, 2), plain(10));
        store.close();
        store = null;
        final String journal = Files.readString(layout.journal(), StandardCharsets.US_ASCII);
        final int secondLine = journal.indexOf('\n') + 1;
        Files.writeString(layout.journal(),
                journal.substring(0, secondLine) + "garbage\n" + journal.substring(secondLine),
                StandardCharsets.US_ASCII);

        store = TestData.open(dir);
        assertEquals(0, store.size());
        assertNull(store.find(key(1)));
        assertTrue(store.awaitStartupScan(10_000));
        assertFalse(Files.exists(layout.dataFile(key(1))));
        try (Stream<Path> s = Files.list(layout.base())) {
            assertTrue("trash is gone", s.noneMatch(p -> p.getFileName().toString().startsWith("trash-")));
        }
        commit(store, key(3), bytes(10, 3), plain(10));
        assertNotNull("the store works on", store.find(key(3)));
    }

    @Test
    public void aJournalOfAnotherFormatIsRefusedAndOtherFormatDirectoriesAreLeftAlone() throws Exception {
        final Path future = dir.resolve("v2/data/entry");
        Files.createDirectories(future.getParent());
        Files.write(future, new byte[3]);
        Files.createDirectories(layout.base());
        Files.writeString(layout.journal(), "some-other-journal 7\nC\tx\n");
        store = TestData.open(dir);
        assertTrue(store.awaitStartupScan(10_000));
        assertEquals(0, store.size());
        assertTrue(Files.exists(future));
    }

    @Test
    public void journalRecordsReplayInOrder() throws Exception {
        store = TestData.open(dir);
        commit(store, key(1), bytes(10, 1), plain(10));
        assertTrue(store.remove(key(1)));
        commit(store, key(1), bytes(20, 1), plain(20));
        store.close();
        store = TestData.open(dir);
        assertEquals(20, store.find(key(1)).meta().length());
    }

    private long journalLines() throws IOException {
        try (Stream<String> lines = Files.lines(layout.journal(), StandardCharsets.US_ASCII)) {
            return lines.count();
        }
    }

    @Test
    public void theJournalIsCompactedAtRuntimeAndAtStartUp() throws Exception {
        store = TestData.open(dir);
        commit(store, key(1), bytes(10, 1), plain(10));
        commit(store, key(2), bytes(10, 2), plain(10));
        for (int i = 0; i < 20; i++) {
            store.find(key(1));
            store.flushAccesses();
        }
        assertFalse("not while little is superseded", store.compactJournalIfNeeded(100));
        assertTrue(store.compactJournalIfNeeded(20));
        assertEquals("header and one line per entry", 3, journalLines());
        commit(store, key(3), bytes(10, 3), plain(10));
        assertEquals("appends go to the new journal", 4, journalLines());

        for (int i = 0; i < 10_001; i++) { // past the start-up threshold
            store.find(key(1));
            store.flushAccesses();
        }
        store.close();
        store = TestData.open(dir);
        assertEquals(4, journalLines());
        assertEquals(3, store.size());
    }

    @Test
    public void startUpWithManyEntriesTakesSeconds() throws Exception {
        final int entries = 100_000;
        Files.createDirectories(layout.dataDir());
        for (int p = 0; p < 256; p++) {
            Files.createDirectories(layout.fanOutDir(p));
        }
        final long c0 = System.nanoTime();
        try (OutputStream journal = new BufferedOutputStream(Files.newOutputStream(layout.journal()), 1 << 16)) {
            journal.write((JournalCodec.HEADER + "\n").getBytes(StandardCharsets.US_ASCII));
            final Path[] sources = new Path[256]; // one per fan-out directory: file systems cap links per inode
            for (int p = 0; p < 256; p++) {
                sources[p] = Files.write(tmp.newFile().toPath(), new byte[] {42});
            }
            for (int i = 0; i < entries; i++) {
                final String k = key(i);
                journal.write(JournalCodec.encode(new JournalRecord.Commit(k,
                        new EntryMeta(1, "application/octet-stream", null, k, null), 1_700_000_000_000L + i)));
                Files.createLink(layout.dataFile(k), sources[KeyFormat.prefix(k)]); // a hard link: a real directory entry, made fast
            }
        }
        final long created = (System.nanoTime() - c0) / 1_000_000;

        final long t0 = System.nanoTime();
        store = TestData.open(dir);
        final long openMillis = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(entries, store.size());
        assertTrue(store.awaitStartupScan(60_000));
        final long scanMillis = (System.nanoTime() - t0) / 1_000_000 - openMillis;
        System.out.printf("Start-up with %d entries: index ready in %d ms; background scan (orphans, sizes) %d ms"
                + " more (fixture created in %d ms)%n", entries, openMillis, scanMillis, created);
        assertEquals(entries, store.size());
        assertTrue("start-up took " + openMillis + " ms", openMillis < 30_000);
    }
}
