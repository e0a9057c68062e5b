package io.otaproxy.proxy.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.junit.Test;

/** The buffers lent to client writes: never more than the budget, large while it is mostly free, handed on in order. */
public class BufferBudgetTest {

    private static final long BUDGET = 1L << 20;

    @Test
    public void neverLendsMoreThanTheBudgetAndSwitchesToSmallBuffersPastHalf() {
        final BufferBudget budget = new BufferBudget(BUDGET, false);
        final List<ByteBuffer> lent = new ArrayList<>();
        ByteBuffer b;
        while ((b = budget.tryAcquire()) != null) {
            lent.add(b);
            assertTrue("within the budget", budget.lentBytes() <= BUDGET);
        }
        assertEquals("large while half is free", BufferBudget.LARGE_BYTES, lent.get(0).capacity());
        assertEquals("small past half", BufferBudget.SMALL_BYTES, lent.get(lent.size() - 1).capacity());
        final long large = lent.stream().filter(x -> x.capacity() == BufferBudget.LARGE_BYTES).count();
        assertEquals(BUDGET / 2 / BufferBudget.LARGE_BYTES, large);
        assertTrue("small buffers fill what is left", BUDGET - budget.lentBytes() < BufferBudget.SMALL_BYTES);
    }

    @Test
    public void waitersAreServedInArrivalOrderAndNewcomersQueueBehindThem() {
        final BufferBudget budget = new BufferBudget(BufferBudget.SMALL_BYTES * 2L, false);
        final ByteBuffer a = budget.tryAcquire();
        final ByteBuffer b = budget.tryAcquire();
        assertNotNull(a);
        assertNotNull(b);
        assertNull("the budget is spent", budget.tryAcquire());
        final List<String> order = new ArrayList<>();
        final ByteBuffer[] got = new ByteBuffer[2];
        budget.whenAvailable(x -> {
            order.add("first");
            got[0] = x;
        });
        budget.whenAvailable(x -> {
            order.add("second");
            got[1] = x;
        });
        assertEquals(2, budget.waiting());
        budget.release(a);
        assertNull("a newcomer does not pass those who wait", budget.tryAcquire());
        assertEquals(List.of("first"), order);
        assertSame("a returned buffer is reused", a, got[0]);
        budget.release(b);
        assertEquals(List.of("first", "second"), order);
        assertEquals(0, budget.waiting());
    }

    @Test
    public void aDiscardedBufferFreesItsShareForANewOne() {
        final BufferBudget budget = new BufferBudget(BufferBudget.SMALL_BYTES, false);
        final ByteBuffer a = budget.tryAcquire();
        final ByteBuffer[] got = new ByteBuffer[1];
        budget.whenAvailable(x -> got[0] = x);
        budget.discard(a); // the connection may still hold it
        assertNotNull(got[0]);
        assertTrue("a new buffer, not the one the connection may hold", got[0] != a);
    }

    @Test
    public void aLoweredBudgetShrinksAsBuffersComeBack() {
        final BufferBudget budget = new BufferBudget(BufferBudget.SMALL_BYTES * 2L, false);
        final ByteBuffer a = budget.tryAcquire();
        final ByteBuffer b = budget.tryAcquire();
        budget.resize(BufferBudget.SMALL_BYTES);
        budget.release(a);
        assertNull("one still lent fills the new budget", budget.tryAcquire());
        budget.release(b);
        assertNotNull(budget.tryAcquire());
        assertNull(budget.tryAcquire());
    }

    /**
     * A mapping is counted like a buffer and only taken while half of the budget stays free: a thousand slow
     * clients of one big file cannot make the mapped pages outgrow the budget, however many mappings share them.
     */
    @Test
    public void mappingsAreCountedAndTakenOnlyWhileHalfTheBudgetIsFree() {
        final long mapping = 4L * 1024 * 1024;
        final BufferBudget budget = new BufferBudget(4 * mapping, false);
        assertTrue(budget.tryReserveMapping(mapping));
        assertTrue(budget.tryReserveMapping(mapping));
        assertEquals(2 * mapping, budget.lentBytes());
        assertFalse("past half of the budget: the body takes a buffer", budget.tryReserveMapping(mapping));
        final ByteBuffer small = budget.tryAcquire();
        assertEquals("buffers past half are small", BufferBudget.SMALL_BYTES, small.capacity());
        budget.releaseMapping(mapping);
        assertEquals(mapping + BufferBudget.SMALL_BYTES, budget.lentBytes());
        budget.release(small);
        budget.releaseMapping(mapping);
        assertEquals(0, budget.lentBytes());
    }

    @Test
    public void aMappingNeverOvertakesResponsesQueuedForABuffer() {
        final BufferBudget budget = new BufferBudget(BufferBudget.SMALL_BYTES, false);
        final ByteBuffer only = budget.tryAcquire();
        final ByteBuffer[] got = new ByteBuffer[1];
        budget.whenAvailable(x -> got[0] = x);
        assertFalse("others queue: no mapping", budget.tryReserveMapping(1));
        budget.release(only);
        assertNotNull("the queued response got the buffer", got[0]);
    }
}
