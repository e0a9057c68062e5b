package io.otaproxy.cache.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

import io.otaproxy.cache.internal.InFlightFill.State;

public class FillExtentTest {

    @Test
    public void holdsBackTheLastByteOfAKnownLengthUntilVerified() {
        final FillExtent e = new FillExtent();
        assertEquals(0, e.readableLimit(State.BEGUN, 100));
        e.grew(60);
        assertEquals(60, e.readableLimit(State.BEGUN, 100));
        e.grew(100);
        assertEquals("all but the last byte while unverified", 99, e.readableLimit(State.BEGUN, 100));
        e.verified(100);
        assertEquals(100, e.readableLimit(State.COMMITTING, 100));
        e.committed(100);
        assertEquals(100, e.readableLimit(State.COMMITTED, 100));
    }

    @Test
    public void holdsBackTheLastByteReceivedWhileTheLengthIsUnknown() {
        final FillExtent e = new FillExtent();
        e.grew(1);
        assertEquals(0, e.readableLimit(State.BEGUN, -1));
        e.grew(500);
        assertEquals(499, e.readableLimit(State.BEGUN, -1));
    }

    @Test
    public void readsPastTheDiskFromTheWindowAndLosesTheStartOnceItMoves() {
        final FillExtent e = new FillExtent();
        e.grew(10);
        assertEquals(Long.MAX_VALUE, e.diskEnd());
        final RelayWindow window = new RelayWindow(10, 100);
        e.stopDisk(10, window);
        window.append(TestData.bytes(40, 3), 0, 40);
        assertEquals(10, e.diskEnd());
        assertEquals(50, e.received(State.RELAYING));
        assertEquals("the last byte is still held back", 49, e.readableLimit(State.RELAYING, -1));
        assertEquals(40, e.buffered());
        assertFalse(e.lostStart());
        window.discardBefore(50);
        assertTrue("a reader from 0 could not get bytes 10..49 any more", e.lostStart());
        e.relayed(50);
        assertEquals(50, e.readableLimit(State.RELAYED, -1));
    }

    @Test
    public void aBodyWholeOnDiskButNoEntryIsReadToItsEnd() {
        final FillExtent e = new FillExtent();
        e.grew(80);
        e.verified(80);
        e.wholeOnDiskOnly(80);
        assertEquals(80, e.diskEnd());
        assertEquals(80, e.readableLimit(State.RELAYED, 80));
        assertFalse(e.lostStart());
    }
}
