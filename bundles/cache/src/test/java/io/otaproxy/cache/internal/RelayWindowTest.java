package io.otaproxy.cache.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import java.util.Arrays;

import org.junit.Test;

public class RelayWindowTest {

    @Test
    public void holdsAtMostItsCapacityAndServesAcrossBlocks() {
        final byte[] src = TestData.bytes(300, 1);
        final RelayWindow w = new RelayWindow(1000, 250);
        assertEquals(1000, w.start());
        assertEquals(1000, w.end());
        w.append(src, 0, 100);
        w.append(src, 100, 100);
        assertEquals(50, w.room());
        try {
            w.append(src, 200, 51);
            fail("over capacity");
        } catch (final IllegalStateException expected) {
            // the caller must wait for room
        }
        w.append(src, 200, 50);
        assertEquals(0, w.room());
        assertEquals(1250, w.end());

        final byte[] out = new byte[300];
        assertEquals("one block at a time", 100, w.copy(1000, out, 0, 300));
        assertEquals(70, w.copy(1100, out, 100, 70));
        assertEquals("to the end of its block", 30, w.copy(1170, out, 170, 300));
        assertEquals(50, w.copy(1200, out, 200, 60));
        assertArrayEquals(Arrays.copyOf(src, 250), Arrays.copyOf(out, 250));
    }

    @Test
    public void dropsWholeBlocksOnlyOnceEveryReaderIsPastThem() {
        final byte[] src = TestData.bytes(300, 2);
        final RelayWindow w = new RelayWindow(0, 300);
        w.append(src, 0, 100);
        w.append(src, 100, 100);
        w.discardBefore(99);
        assertEquals("the first block is still needed", 0, w.start());
        w.discardBefore(150);
        assertEquals(100, w.start());
        assertEquals(100, w.buffered());
        assertEquals(200, w.room());
        final byte[] out = new byte[10];
        w.copy(150, out, 0, 10);
        assertArrayEquals(Arrays.copyOfRange(src, 150, 160), out);
        try {
            w.copy(99, out, 0, 1);
            fail("dropped bytes cannot be read");
        } catch (final IllegalArgumentException expected) {
            // the fill turns this into an IOException for its reader
        }
        w.discardBefore(Long.MAX_VALUE);
        assertEquals(0, w.buffered());
        assertEquals(200, w.start());
    }
}
