package io.otaproxy.cache.internal;

import static io.otaproxy.cache.internal.TestData.bytes;
import static io.otaproxy.cache.internal.TestData.key;
import static io.otaproxy.cache.internal.TestData.meta;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.otaproxy.api.cache.EntryMeta;
import io.otaproxy.api.cache.Fill;

import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Waiting without a thread: joiners are called back when the leader begins or gives up, readers when the bytes
 * they wait for arrive, the body ends, or the download fails; reads without waiting never block.
 */
public class FillCallbackTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private FileCacheStore store;

    @Before
    public void openStore() throws IOException {
        final Path dir = tmp.newFolder("cache").toPath();
        store = TestData.open(dir);
    }

    @After
    public void closeStore() {
        store.close();
    }

    @Test
    public void aJoinerIsCalledBackWhenTheLeaderBegins() throws Exception {
        final String k = key(71);
        final Fill leader = store.fill(k);
        final Fill joiner = store.fill(k);
        assertFalse(joiner.isLeader());
        final CountDownLatch called = new CountDownLatch(1);
        joiner.whenBegun(called::countDown);
        assertEquals("not before the leader begins", 1, called.getCount());
        assertFalse(joiner.isBegun());
        final byte[] src = bytes(10, 71);
        Pump.begin(leader, meta(src), new java.io.ByteArrayInputStream(src), null);
        assertTrue(called.await(5, TimeUnit.SECONDS));
        assertTrue(joiner.isBegun());
        // one that asks after the begin is called at once, on its own thread
        final AtomicInteger late = new AtomicInteger();
        joiner.whenBegun(late::incrementAndGet);
        assertEquals(1, late.get());
    }

    @Test
    public void aJoinerIsCalledBackWhenTheLeaderGivesUp() throws Exception {
        final String k = key(72);
        final Fill leader = store.fill(k);
        final Fill joiner = store.fill(k);
        final CountDownLatch called = new CountDownLatch(1);
        joiner.whenBegun(called::countDown);
        leader.abandon();
        assertTrue(called.await(5, TimeUnit.SECONDS));
        assertFalse("abandoned: the joiner fetches on its own", joiner.isBegun());
    }

    @Test
    public void aReaderIsCalledBackAsBytesArriveAndReadsTheWholeBodyWithoutWaiting() throws Exception {
        final byte[] src = bytes(300_000, 73);
        final ControlledBody body = new ControlledBody();
        final Fill f = store.fill(key(73));
        Pump.begin(f, meta(src), body, null);
        final Fill.FillReader reader = f.newReader();
        final ByteBuffer buffer = ByteBuffer.allocate(8192);
        assertEquals("nothing yet, and no waiting", 0, reader.readNow(0, buffer));

        final ByteArrayOutputStream got = new ByteArrayOutputStream();
        final CountDownLatch ended = new CountDownLatch(1);
        final AtomicInteger wakeUps = new AtomicInteger();
        final Runnable[] drain = new Runnable[1];
        // reads what it may, then asks to be called back: what a non-blocking client writer does
        drain[0] = () -> {
            wakeUps.incrementAndGet();
            try {
                while (true) {
                    buffer.clear();
                    final int n = reader.readNow(got.size(), buffer);
                    if (n < 0) {
                        ended.countDown();
                        return;
                    }
                    if (n == 0) {
                        reader.whenReadable(got.size(), drain[0]);
                        return;
                    }
                    got.write(buffer.array(), 0, n);
                }
            } catch (final IOException e) {
                throw new IllegalStateException(e);
            }
        };
        reader.whenReadable(0, drain[0]);
        assertEquals("no bytes yet: waiting", 0, wakeUps.get());

        body.feed(Arrays.copyOfRange(src, 0, 100_000));
        TestData.await("the first bytes were read", 5_000, () -> got.size() > 0);
        assertTrue("the last byte is held back until the body is verified", got.size() < src.length);
        body.feed(Arrays.copyOfRange(src, 100_000, src.length)).end();
        assertTrue("the end is reported by callback", ended.await(5, TimeUnit.SECONDS));
        assertArrayEquals(src, got.toByteArray());
        reader.close();
    }

    @Test
    public void aWaitingReaderIsCalledBackWhenTheDownloadFails() throws Exception {
        final byte[] src = bytes(50_000, 74);
        final ControlledBody body = new ControlledBody();
        final Fill f = store.fill(key(74));
        Pump.begin(f, new EntryMeta(src.length, null, null, null, null), body, null);
        final Fill.FillReader reader = f.newReader();
        final CountDownLatch called = new CountDownLatch(1);
        reader.whenReadable(0, called::countDown);
        body.fail("connection reset"); // before any byte: only the failure can wake the reader
        assertTrue(called.await(5, TimeUnit.SECONDS));
        try {
            reader.readNow(0, ByteBuffer.allocate(10));
            fail("a failed download must not read as readable or ended");
        } catch (final IOException expected) {
            // the reader learns of the failure on its next read
        }
        reader.close();
    }
}
