package io.otaproxy.cache.internal;

import static io.otaproxy.cache.internal.TestData.key;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The journal's descriptor is the store's: an appending thread that is interrupted must not close it, and no
 * record may be lost or written twice because of it.
 */
public class InterruptedJournalTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private Path file;
    private Path temp;

    @Before
    public void paths() throws IOException {
        final Path dir = tmp.newFolder("journal").toPath();
        file = dir.resolve("journal");
        temp = dir.resolve("journal.tmp");
    }

    @Test
    public void anInterruptedAppenderLeavesTheJournalOpen() throws Exception {
        final EntryJournal journal = EntryJournal.create(file, temp, List.of());
        final List<JournalRecord> expected = new ArrayList<>();
        final JournalRecord durable = new JournalRecord.Remove(key(1));
        final JournalRecord lazy = new JournalRecord.Access(key(2), 1_700_000_000_000L);
        final CompletableFuture<Boolean> keptItsInterrupt = new CompletableFuture<>();
        final Thread appender = new Thread(() -> {
            Thread.currentThread().interrupt();
            if (appended(() -> journal.appendDurably(durable))) {
                expected.add(durable);
            }
            if (appended(() -> journal.append(List.of(lazy)))) {
                expected.add(lazy);
            }
            appended(journal::sync);
            keptItsInterrupt.complete(Thread.currentThread().isInterrupted());
        });
        appender.start();
        assertTrue("the appender's thread is still interrupted", keptItsInterrupt.get(5, TimeUnit.SECONDS));
        appender.join();

        final JournalRecord next = new JournalRecord.Remove(key(3));
        journal.appendDurably(next);
        expected.add(next);
        journal.close();
        assertEquals(expected, read(file));

        final EntryJournal reopened = EntryJournal.append(file, temp, 0);
        final JournalRecord after = new JournalRecord.Access(key(4), 1_700_000_000_001L);
        reopened.append(List.of(after));
        expected.add(after);
        reopened.close();
        assertEquals(expected, read(file));
    }

    @Test
    public void anInterruptedCompactionStillReplacesTheJournal() throws Exception {
        final EntryJournal journal = EntryJournal.create(file, temp, List.of());
        journal.appendDurably(new JournalRecord.Remove(key(1)));
        Thread.currentThread().interrupt();
        try {
            journal.rewrite(List.of());
        } finally {
            assertTrue("the thread is still interrupted", Thread.interrupted());
        }
        final JournalRecord next = new JournalRecord.Remove(key(2));
        journal.appendDurably(next);
        journal.close();
        assertEquals("appended to the compacted journal", List.of(next), read(file));
    }

    @Test
    public void appendsInterruptedOverAndOverAreEachWrittenOnceOrNotAtAll() throws Exception {
        final EntryJournal journal = EntryJournal.create(file, temp, List.of());
        final List<Attempt> attempts = new ArrayList<>();
        final AtomicBoolean stop = new AtomicBoolean();
        final Thread appender = new Thread(() -> {
            for (int i = 0; !stop.get(); i++) {
                final JournalRecord r = i % 2 == 0 ? new JournalRecord.Remove(key(i))
                        : new JournalRecord.Access(key(i), 1_700_000_000_000L + i);
                final boolean ok = appended(() -> {
                    if (r instanceof JournalRecord.Remove) {
                        journal.appendDurably(r);
                    } else {
                        journal.append(List.of(r));
                    }
                });
                attempts.add(new Attempt(r, ok));
            }
        });
        appender.start();
        final long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
        while (System.nanoTime() < end) {
            appender.interrupt(); // before an append, between two, or inside a write or a force
            LockSupport.parkNanos(20_000);
        }
        stop.set(true);
        appender.join(5_000);
        assertFalse(appender.isAlive());

        final JournalRecord last = new JournalRecord.Remove(key(-1));
        journal.appendDurably(last);
        journal.close();
        final List<JournalRecord> records = read(file);
        assertEquals("the journal still takes appends", last, records.get(records.size() - 1));
        // in the order appended; a record whose fsync failed (interrupted twice) is on file all the same
        final List<JournalRecord> written = records.subList(0, records.size() - 1);
        int next = 0;
        for (final Attempt a : attempts) {
            if (next < written.size() && written.get(next).equals(a.record())) {
                next++;
            } else {
                assertFalse("acknowledged and lost: " + a.record(), a.acknowledged());
            }
        }
        assertEquals("written twice or never appended: " + written.subList(next, written.size()), written.size(),
                next);
    }

    private record Attempt(JournalRecord record, boolean acknowledged) {
    }

    private interface Append {
        void run() throws IOException;
    }

    private static boolean appended(final Append append) {
        try {
            append.run();
            return true;
        } catch (final IOException e) {
            return false;
        }
    }

    private static List<JournalRecord> read(final Path journal) throws IOException {
        final List<JournalRecord> records = new ArrayList<>();
        final JournalReader reader = new JournalReader();
        reader.read(journal, records::add);
        assertTrue("whole lines only", reader.clean());
        return records;
    }
}
