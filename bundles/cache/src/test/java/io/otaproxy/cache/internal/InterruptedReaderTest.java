package io.otaproxy.cache.internal;

import static io.otaproxy.cache.internal.TestData.bytes;
import static io.otaproxy.cache.internal.TestData.key;
import static io.otaproxy.cache.internal.TestData.meta;
import static io.otaproxy.cache.internal.TestData.readAll;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import io.otaproxy.api.cache.CacheEntry;

import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The descriptor of a complete entry is shared by its readers: a reading thread that is interrupted (Jetty
 * interrupts its threads when it stops) must not close it for the others, nor for the entry's later hits.
 */
public class InterruptedReaderTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private FileCacheStore store;

    @Before
    public void openStore() throws IOException {
        store = TestData.open(tmp.newFolder("cache").toPath());
    }

    @After
    public void closeStore() {
        store.close();
    }

    @Test
    public void anInterruptedReaderLeavesTheSharedDescriptorToTheOthers() throws Exception {
        final byte[] body = bytes(100_000, 1);
        final CacheEntry entry = FileCacheStoreTest.commit(store, key(1), body, meta(body));
        try (FileChannel interrupted = entry.open(); FileChannel other = entry.open()) {
            final CompletableFuture<Boolean> keptItsInterrupt = new CompletableFuture<>();
            final ByteBuffer buf = ByteBuffer.allocate(10_000);
            final Thread reader = new Thread(() -> {
                Thread.currentThread().interrupt();
                try {
                    interrupted.read(buf, 5_000);
                } catch (final IOException e) {
                    // its own read may fail
                }
                keptItsInterrupt.complete(Thread.currentThread().isInterrupted());
            });
            reader.start();
            assertTrue("the reader's thread is still interrupted", keptItsInterrupt.get(5, TimeUnit.SECONDS));
            reader.join();
            assertArrayEquals("what the interrupted reader got, if anything, is right",
                    Arrays.copyOfRange(body, 5_000, 5_000 + buf.position()),
                    Arrays.copyOf(buf.array(), buf.position()));
            assertArrayEquals("another reader of the same descriptor", body, readFully(other));
            assertArrayEquals("a later hit", body, readAll(entry));
        }
    }

    @Test
    public void aReaderInterruptedOverAndOverNeverBreaksTheEntrysLaterHits() throws Exception {
        final byte[] body = bytes(1 << 20, 2);
        final CacheEntry entry = FileCacheStoreTest.commit(store, key(2), body, meta(body));
        final FileChannel held = entry.open(); // the descriptor the entry's readers share is open
        final AtomicBoolean stop = new AtomicBoolean();
        final Thread reader = new Thread(() -> {
            final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 16);
            while (!stop.get()) {
                try (FileChannel ch = entry.open()) {
                    for (long pos = 0; pos < body.length && !stop.get(); pos += buf.position()) {
                        buf.clear();
                        ch.read(buf, pos);
                    }
                } catch (final IOException e) {
                    // this thread's own open or read may fail
                }
            }
        });
        reader.start();
        final long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
        while (System.nanoTime() < end) {
            reader.interrupt(); // before a read, between reads, or inside one
            LockSupport.parkNanos(20_000);
        }
        stop.set(true);
        reader.join(5_000);
        assertFalse(reader.isAlive());
        assertArrayEquals(body, readAll(entry));
        held.close();
    }

    @Test
    public void aDescriptorAnInterruptClosedIsNotHandedToNewReaders() throws Exception {
        final Path file = tmp.newFile().toPath();
        Files.write(file, bytes(1000, 3));
        final OpenFile shared = new OpenFile(FileChannel.open(file, StandardOpenOption.READ));
        assertTrue(shared.retain());
        shared.release();
        // what an interrupt arriving inside a read does, even with the interrupt status cleared before it
        Thread.currentThread().interrupt();
        try {
            shared.channel().read(ByteBuffer.allocate(10), 0);
            fail("a plain FileChannel closes when its reading thread is interrupted");
        } catch (final ClosedByInterruptException expected) {
            // so it is closed for every reader sharing it
        } finally {
            Thread.interrupted();
        }
        assertFalse("the entry opens a fresh descriptor instead", shared.retain());
        shared.release(); // the entry's own reference: nothing left to close
        assertFalse(shared.channel().isOpen());
    }

    private static byte[] readFully(final FileChannel ch) throws IOException {
        final ByteBuffer buf = ByteBuffer.allocate((int) ch.size());
        while (buf.hasRemaining() && ch.read(buf) >= 0) {
            // keep reading
        }
        return buf.array();
    }
}
