package io.otaproxy.proxy.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

import org.junit.Test;

public class RequestLimiterTest {

    @Test
    public void refusesBeyondTheTotal() {
        final RequestLimiter limiter = new RequestLimiter(2, 0);
        assertNull(limiter.tryEnter("a"));
        assertNull(limiter.tryEnter("b"));
        final String refused = limiter.tryEnter("c");
        assertNotNull(refused);
        assertTrue(refused, refused.contains("at most 2"));
        limiter.leave("a");
        assertNull(limiter.tryEnter("c"));
        assertEquals(2, limiter.inProgress());
    }

    @Test
    public void refusesBeyondThePerClientLimitWhileOthersGoOn() {
        final RequestLimiter limiter = new RequestLimiter(100, 2);
        assertNull(limiter.tryEnter("10.0.0.1"));
        assertNull(limiter.tryEnter("10.0.0.1"));
        assertNotNull(limiter.tryEnter("10.0.0.1"));
        assertNull("another client is not affected", limiter.tryEnter("10.0.0.2"));
        assertEquals(3, limiter.inProgress());
        limiter.leave("10.0.0.1");
        assertNull(limiter.tryEnter("10.0.0.1"));
    }

    @Test
    public void idleClientsAreForgotten() {
        final RequestLimiter limiter = new RequestLimiter(10, 0);
        for (int i = 0; i < 1000; i++) {
            final String client = "10.0." + (i / 256) + "." + (i % 256);
            assertNull(limiter.tryEnter(client));
            limiter.leave(client);
        }
        assertEquals(0, limiter.clients());
        assertEquals(0, limiter.inProgress());
    }

    @Test
    public void aLoweredLimitAppliesToWhatAlreadyRuns() {
        final RequestLimiter limiter = new RequestLimiter(10, 0);
        for (int i = 0; i < 5; i++) {
            assertNull(limiter.tryEnter("a"));
        }
        limiter.setLimits(3, 4);
        assertNotNull(limiter.tryEnter("b"));
        limiter.leave("a");
        limiter.leave("a");
        limiter.leave("a");
        assertNull(limiter.tryEnter("b"));
        assertNotNull("a still has 2 and b 1 of 3", limiter.tryEnter("a"));
    }

    /** Many threads, random clients and hold times: the limits are never exceeded and every count returns to 0. */
    @Test
    public void limitsHoldUnderConcurrency() throws Exception {
        final int maxTotal = 7;
        final int maxPerClient = 3;
        final int clients = 4;
        final RequestLimiter limiter = new RequestLimiter(maxTotal, maxPerClient);
        final AtomicInteger running = new AtomicInteger();
        final AtomicIntegerArray perClient = new AtomicIntegerArray(clients);
        final AtomicInteger worstTotal = new AtomicInteger();
        final AtomicInteger worstClient = new AtomicInteger();
        final AtomicInteger admitted = new AtomicInteger();
        final AtomicInteger refused = new AtomicInteger();
        final CountDownLatch start = new CountDownLatch(1);
        final List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 16; t++) {
            final Random random = new Random(t);
            final Thread thread = new Thread(() -> {
                try {
                    start.await();
                } catch (final InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 2_000; i++) {
                    final int c = random.nextInt(clients);
                    final String client = "192.0.2." + c;
                    if (limiter.tryEnter(client) != null) {
                        refused.incrementAndGet();
                        continue;
                    }
                    admitted.incrementAndGet();
                    worstTotal.accumulateAndGet(running.incrementAndGet(), Math::max);
                    worstClient.accumulateAndGet(perClient.incrementAndGet(c), Math::max);
                    if (random.nextInt(4) == 0) {
                        Thread.yield();
                    }
                    perClient.decrementAndGet(c);
                    running.decrementAndGet();
                    limiter.leave(client);
                }
            });
            threads.add(thread);
            thread.start();
        }
        start.countDown();
        for (final Thread thread : threads) {
            thread.join();
        }
        assertTrue("total " + worstTotal.get(), worstTotal.get() <= maxTotal);
        assertTrue("per client " + worstClient.get(), worstClient.get() <= maxPerClient);
        assertEquals(16 * 2_000, admitted.get() + refused.get());
        assertTrue("the limits were reached: " + refused.get(), refused.get() > 0);
        assertTrue("requests got through: " + admitted.get(), admitted.get() > 1_000);
        assertEquals(0, limiter.inProgress());
        assertEquals(0, limiter.clients());
    }
}
