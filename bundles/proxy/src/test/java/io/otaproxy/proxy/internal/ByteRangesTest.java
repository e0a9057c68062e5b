package io.otaproxy.proxy.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.List;

import io.otaproxy.proxy.internal.ByteRanges.Range;

import org.junit.Test;

public class ByteRangesTest {

    @Test
    public void overlappingRangesAreCoalescedAndSeparateOnesKeepTheirOrder() {
        final StringBuilder header = new StringBuilder("bytes=0-1199");
        for (int i = 1; i < 64; i++) {
            header.append(',').append(i).append("-1199");
        }
        assertEquals("64 overlapping ranges are one", List.of(new Range(0, 1199)),
                ByteRanges.parse(header.toString(), 1200).ranges());
        assertEquals(List.of(new Range(0, 19)), ByteRanges.parse("bytes=10-19,0-9,5-12", 1200).ranges());
        assertEquals("apart: as asked", List.of(new Range(100, 109), new Range(0, 9)),
                ByteRanges.parse("bytes=100-109,0-9", 1200).ranges());
    }

    @Test
    public void singleRanges() {
        assertEquals(List.of(new Range(0, 99)), ByteRanges.parse("bytes=0-99", 1000).ranges());
        assertEquals(List.of(new Range(900, 999)), ByteRanges.parse("bytes=900-", 1000).ranges());
        assertEquals(List.of(new Range(900, 999)), ByteRanges.parse("bytes=-100", 1000).ranges());
        assertEquals("clipped to the end", List.of(new Range(990, 999)),
                ByteRanges.parse("bytes=990-5000", 1000).ranges());
        assertEquals("suffix longer than the body", List.of(new Range(0, 999)),
                ByteRanges.parse("bytes=-5000", 1000).ranges());
        assertEquals(List.of(new Range(5, 5)), ByteRanges.parse("Bytes=5-5", 1000).ranges());
    }

    @Test
    public void multipleRangesKeepTheirOrder() {
        assertEquals(List.of(new Range(500, 599), new Range(0, 9), new Range(990, 999)),
                ByteRanges.parse("bytes=500-599, 0-9,-10", 1000).ranges());
    }

    @Test
    public void unsatisfiable() {
        assertTrue(ByteRanges.parse("bytes=1000-", 1000).unsatisfiable());
        assertTrue(ByteRanges.parse("bytes=2000-3000,1000-1001", 1000).unsatisfiable());
        assertTrue(ByteRanges.parse("bytes=-0", 1000).unsatisfiable());
        assertTrue(ByteRanges.parse("bytes=0-0", 0).unsatisfiable());
    }

    @Test
    public void malformedHeadersAreIgnored() {
        for (final String bad : List.of("bytes=", "bytes=a-b", "bytes=5-1", "items=0-1", "bytes=1", "bytes=--1",
                "bytes=-", "bytes=" + "0-1,".repeat(ByteRanges.MAX_RANGES + 1))) {
            assertTrue(bad, ByteRanges.parse(bad, 1000).whole());
        }
        assertTrue(ByteRanges.parse(null, 1000).whole());
    }
}
