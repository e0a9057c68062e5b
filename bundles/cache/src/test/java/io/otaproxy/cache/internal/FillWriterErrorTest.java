package io.otaproxy.cache.internal;

import static io.otaproxy.cache.internal.TestData.awaitNoTempFiles;
import static io.otaproxy.cache.internal.TestData.bytes;
import static io.otaproxy.cache.internal.TestData.key;
import static io.otaproxy.cache.internal.TestData.meta;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import io.otaproxy.api.cache.Fill;

import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** A fill's writer that dies of an Error, not an exception, must still end the fill for its readers. */
public class FillWriterErrorTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final ExecutorService threads = Executors.newCachedThreadPool();
    private FileCacheStore store;

    @Before
    public void openStore() throws IOException {
        final Path dir = tmp.newFolder("cache").toPath();
        store = TestData.open(dir);
    }

    @After
    public void closeStore() {
        store.close();
        threads.shutdownNow();
    }

    /** What a library failing in an unexpected way may throw from a read: neither IOException nor runtime. */
    private static final class BrokenBodyError extends Error {
        private static final long serialVersionUID = 1L;

        BrokenBodyError() {
            super("the body's decoder is broken");
        }
    }

    @Test
    public void anErrorFromTheUpstreamBodyFailsTheFill() throws Exception {
        assertAnErrorFailsTheFill(key(1), BrokenBodyError::new);
    }

    /** The writer's thread goes on to die of it, but only once the fill is failed. */
    @Test
    public void aVirtualMachineErrorFailsTheFillToo() throws Exception {
        assertAnErrorFailsTheFill(key(2), () -> new StackOverflowError("a test's"));
    }

    private void assertAnErrorFailsTheFill(final String k, final Supplier<Error> error) throws Exception {
        final byte[] src = bytes(50_000, 1);
        final ControlledBody fed = new ControlledBody();
        final AtomicBoolean broken = new AtomicBoolean();
        final InputStream body = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new UnsupportedOperationException("the writer reads in chunks");
            }

            @Override
            public int read(final byte[] b, final int off, final int len) throws IOException {
                if (broken.get()) {
                    throw error.get();
                }
                return fed.read(b, off, len);
            }

            @Override
            public void close() {
                fed.close();
            }
        };
        final Fill leader = store.fill(k);
        assertTrue(leader.isLeader());
        final AtomicBoolean aborted = new AtomicBoolean();
        leader.begin(meta(src), body, () -> aborted.set(true));
        final Fill joiner = store.fill(k);
        assertTrue(joiner.awaitBegun(1_000));
        final AtomicLong p1 = new AtomicLong();
        final AtomicLong p2 = new AtomicLong();
        final Future<byte[]> r1 = TestData.readInBackground(threads, leader.newReader(), 4096, p1);
        final Future<byte[]> r2 = TestData.readInBackground(threads, joiner.newReader(), 4096, p2);
        fed.feed(Arrays.copyOf(src, 20_000));
        TestData.await("readers got bytes", 5_000, () -> p1.get() > 0 && p2.get() > 0);
        TestData.await("the writer waits for upstream", 5_000, fed::blocked);
        broken.set(true);
        fed.feed(Arrays.copyOfRange(src, 20_000, 30_000)); // wakes the writer: its next read throws
        for (final Future<byte[]> r : List.of(r1, r2)) {
            try {
                r.get(5, TimeUnit.SECONDS);
                fail("a reader must fail");
            } catch (final ExecutionException e) {
                assertTrue("an IOException: " + e.getCause(), e.getCause() instanceof IOException);
            }
        }
        assertNull("nothing committed", store.find(k));
        TestData.await("onAbort ran", 5_000, aborted::get);
        final Fill next = store.fill(k);
        assertTrue("the next request starts a fresh fill", next.isLeader());
        next.abandon();
        awaitNoTempFiles(store);
        store.awaitCommits();
        assertNull(store.find(k));
    }
}
