package io.otaproxy.disk.internal;

import static org.junit.Assert.assertEquals;

import io.otaproxy.api.space.SpaceZone;

import org.junit.Test;

public class SpaceLimitsTest {

    private static final long GIB = 1L << 30;

    @Test
    public void zonesFollowTheUsedShareOfTheFileSystem() {
        final SpaceLimits limits = new SpaceLimits(70, 80, 0);
        assertEquals(SpaceZone.BELOW_SOFT, limits.zoneOf(100 * GIB, 31 * GIB, 0)); // 69 % used
        assertEquals(SpaceZone.BELOW_SOFT, limits.zoneOf(100 * GIB, 30 * GIB, 0)); // exactly 70 %
        assertEquals(SpaceZone.ABOVE_SOFT, limits.zoneOf(100 * GIB, 29 * GIB, 0)); // 71 %
        assertEquals(SpaceZone.ABOVE_SOFT, limits.zoneOf(100 * GIB, 20 * GIB, 0)); // exactly 80 %
        assertEquals(SpaceZone.ABOVE_HARD, limits.zoneOf(100 * GIB, 19 * GIB, 0)); // 81 %
    }

    @Test
    public void theCacheCapAloneMeansEvict() {
        final SpaceLimits limits = new SpaceLimits(70, 80, 1000);
        assertEquals(SpaceZone.BELOW_SOFT, limits.zoneOf(100 * GIB, 90 * GIB, 1000));
        assertEquals(SpaceZone.ABOVE_SOFT, limits.zoneOf(100 * GIB, 90 * GIB, 1001));
    }

    @Test
    public void anEmptyFileSystemReadingCountsAsFull() {
        assertEquals(SpaceZone.ABOVE_HARD, new SpaceLimits(70, 80, 0).zoneOf(0, 0, 0));
    }
}
