package io.otaproxy.cache.internal;

import static io.otaproxy.cache.internal.TestData.awaitNoTempFiles;
import static io.otaproxy.cache.internal.TestData.bytes;
import static io.otaproxy.cache.internal.TestData.key;
import static io.otaproxy.cache.internal.TestData.meta;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import io.otaproxy.api.cache.Fill;

import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A fill whose writing dies of an Error, not an exception, must still end for its readers; and a fill whose leader
 * stops pushing without ending the body must not hold them forever.
 */
public class FillWriterErrorTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final AtomicReference<Supplier<Error>> breakWrites = new AtomicReference<>();
    private FileCacheStore store;

    @After
    public void closeStore() {
        if (store != null) {
            store.close();
        }
        threads.shutdownNow();
    }

    /** What a failing library may throw from deep inside a write: neither IOException nor runtime. */
    private static final class BrokenWriteError extends Error {
        private static final long serialVersionUID = 1L;

        BrokenWriteError() {
            super("the file system layer is broken");
        }
    }

    /** The disk seam: writes go to the real file until a test breaks them with an Error. */
    private FileCacheStore openStore(final StoreTunables tunables) throws IOException {
        final Path dir = tmp.newFolder("cache").toPath();
        return FileCacheStore.open(dir, tunables, false, () -> null, System::currentTimeMillis, tempFile -> {
            final FillSink real = FillSink.FILES.create(tempFile);
            return new FillSink() {
                @Override
                public void write(final ByteBuffer bytes) throws IOException {
                    final Supplier<Error> error = breakWrites.get();
                    if (error != null) {
                        throw error.get();
                    }
                    real.write(bytes);
                }

                @Override
                public void force() throws IOException {
                    real.force();
                }

                @Override
                public void close() throws IOException {
                    real.close();
                }
            };
        });
    }

    @Test
    public void anErrorWhileWritingFailsTheFill() throws Exception {
        store = openStore(TestData.FAST);
        final Error thrown = assertAnErrorFailsTheFill(key(1), BrokenWriteError::new);
        assertTrue("an Error other than a VirtualMachineError ends with the fill: " + thrown, thrown == null);
    }

    /** The caller's thread hears of a VirtualMachineError, but only once the fill is failed. */
    @Test
    public void aVirtualMachineErrorFailsTheFillAndReachesTheCaller() throws Exception {
        store = openStore(TestData.FAST);
        final Error thrown = assertAnErrorFailsTheFill(key(2), () -> new StackOverflowError("a test's"));
        assertTrue("rethrown to the caller: " + thrown, thrown instanceof StackOverflowError);
    }

    /** Returns what the writer's caller got thrown, or null. */
    private Error assertAnErrorFailsTheFill(final String k, final Supplier<Error> error) throws Exception {
        final byte[] src = bytes(50_000, 1);
        final Fill leader = store.fill(k);
        assertTrue(leader.isLeader());
        final AtomicBoolean aborted = new AtomicBoolean();
        final Fill.Writer writer = leader.begin(meta(src), () -> aborted.set(true));
        final Fill joiner = store.fill(k);
        assertTrue(joiner.awaitBegun(1_000));
        final AtomicLong p1 = new AtomicLong();
        final AtomicLong p2 = new AtomicLong();
        final Future<byte[]> r1 = TestData.readInBackground(threads, leader.newReader(), 4096, p1);
        final Future<byte[]> r2 = TestData.readInBackground(threads, joiner.newReader(), 4096, p2);
        assertTrue(writer.append(src, 0, 20_000));
        TestData.await("readers got bytes", 5_000, () -> p1.get() > 0 && p2.get() > 0);
        breakWrites.set(error);
        Error thrown = null;
        try {
            assertFalse("the broken write is refused", writer.append(src, 20_000, 10_000));
        } catch (final Error e) {
            thrown = e;
        }
        for (final Future<byte[]> r : List.of(r1, r2)) {
            try {
                r.get(5, TimeUnit.SECONDS);
                fail("a reader must fail");
            } catch (final ExecutionException e) {
                assertTrue("an IOException: " + e.getCause(), e.getCause() instanceof IOException);
            }
        }
        assertFalse("the writer takes nothing more", writer.append(src, 30_000, 20_000));
        assertFalse(writer.complete());
        assertNull("nothing committed", store.find(k));
        TestData.await("onAbort ran", 5_000, aborted::get);
        final Fill next = store.fill(k);
        assertTrue("the next request starts a fresh fill", next.isLeader());
        next.abandon();
        awaitNoTempFiles(store);
        store.awaitCommits();
        assertNull(store.find(k));
        return thrown;
    }

    @Test
    public void aLeaderThatStopsPushingIsFailedAfterTheSilenceLimit() throws Exception {
        store = openStore(TestData.FAST.withWriterSilence(300).withFlushInterval(50));
        final byte[] src = bytes(30_000, 3);
        final String k = key(3);
        final Fill leader = store.fill(k);
        final AtomicBoolean aborted = new AtomicBoolean();
        final Fill.Writer writer = leader.begin(meta(src), () -> aborted.set(true));
        assertTrue(writer.append(src, 0, 10_000));
        final Fill.FillReader reader = leader.newReader();
        final Future<byte[]> read = TestData.readInBackground(threads, reader, 4096, new AtomicLong());
        // the leader never calls again: its thread died, or its bundle went away without ending the body
        try {
            read.get(10, TimeUnit.SECONDS);
            fail("the reader must fail, not wait forever");
        } catch (final ExecutionException e) {
            assertTrue("an IOException: " + e.getCause(), e.getCause() instanceof IOException);
        }
        TestData.await("onAbort ran", 5_000, aborted::get);
        final Fill next = store.fill(k);
        assertTrue("the next request starts a fresh fill", next.isLeader());
        assertFalse("a late call finds the fill failed", writer.append(src, 10_000, 20_000));
        next.abandon();
        awaitNoTempFiles(store);
        assertNull(store.find(k));
    }
}
