package io.otaproxy.proxy.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.Test;

/** The transfer threads: made only when no idle one can take an exchange, never more than the most. */
public class TransfersTest {

    @Test
    public void exchangesOneAfterAnotherReuseOneThread() throws Exception {
        final Transfers transfers = new Transfers(288);
        try {
            for (int i = 0; i < 200; i++) {
                final CountDownLatch done = new CountDownLatch(1);
                transfers.execute(done::countDown);
                assertTrue(done.await(5, TimeUnit.SECONDS));
                // the thread goes back to waiting for the next: on a busy machine that may take a while, so it is
                // waited for rather than given a fixed moment
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (transfers.active() > 0) {
                    assertTrue("the exchange's thread never became idle", System.nanoTime() < deadline);
                    Thread.sleep(1);
                }
            }
            assertTrue("threads: " + transfers.threads(), transfers.threads() <= 2);
        } finally {
            transfers.stop(1_000);
        }
    }

    @Test
    public void concurrentExchangesGetAThreadEachUpToTheMostAndTheRestWait() throws Exception {
        final Transfers transfers = new Transfers(3);
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch started = new CountDownLatch(3);
        final CountDownLatch finished = new CountDownLatch(5);
        try {
            for (int i = 0; i < 5; i++) {
                transfers.execute(() -> {
                    started.countDown();
                    try {
                        release.await();
                    } catch (final InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    finished.countDown();
                });
            }
            assertTrue("three run at once", started.await(5, TimeUnit.SECONDS));
            assertEquals(3, transfers.threads());
            assertEquals(3, transfers.active());
            release.countDown();
            assertTrue("the two waiting ran too", finished.await(5, TimeUnit.SECONDS));
            assertEquals(3, transfers.threads());
        } finally {
            release.countDown();
            transfers.stop(1_000);
        }
    }
}
