package io.otaproxy.cache.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import io.otaproxy.api.space.SpaceState;
import io.otaproxy.api.space.SpaceZone;

import org.junit.Test;

public class SpacePressureTest {

    private static final long GB = 1_000_000_000L;

    /** 100 GB, soft 70 %, hard 80 %. */
    private static SpaceState fs(final long usedGb, final long cap) {
        return new SpaceState(SpaceZone.BELOW_SOFT, 100 * GB, (100 - usedGb) * GB, 0, 70, 80, cap, 0);
    }

    @Test
    public void belowTheSoftLimitAndTheCapNothingIsEvicted() {
        assertSame(SpacePressure.NONE, SpacePressure.of(fs(70, 0), 50 * GB, 0));
        assertSame(SpacePressure.NONE, SpacePressure.of(fs(69, 10 * GB), 10 * GB, 0));
    }

    @Test
    public void aboveTheSoftLimitEvictionFreesToTwoPointsBelowIt() {
        final SpacePressure p = SpacePressure.of(fs(71, 0), 30 * GB, 0);
        assertEquals(3 * GB, p.bytesToFree()); // 71 % -> 68 %
        assertTrue(p.softLimit());
        assertFalse(p.cap());
        assertEquals("soft limit", p.reason());
        assertEquals("above hard counts too", 12 * GB, SpacePressure.of(fs(80, 0), 0, 0).bytesToFree());
    }

    @Test
    public void evictionsTheMeasurementCannotShowYetAreCountedAsDone() {
        assertEquals(2 * GB + GB / 2, SpacePressure.of(fs(71, 0), 0, GB / 2).bytesToFree());
        assertSame("already under the soft limit once they are counted", SpacePressure.NONE,
                SpacePressure.of(fs(71, 0), 0, 2 * GB));
    }

    @Test
    public void aboveTheCapEvictionFreesToNinetyPercentOfIt() {
        final SpacePressure p = SpacePressure.of(fs(10, 1000), 1001, 0);
        assertEquals(101, p.bytesToFree());
        assertTrue(p.cap());
        assertFalse(p.softLimit());
        assertEquals("cap", p.reason());
        assertSame("at the cap exactly: fine", SpacePressure.NONE, SpacePressure.of(fs(10, 1000), 1000, 0));
    }

    @Test
    public void bothTriggersTakeTheLargerNeed() {
        final SpacePressure p = SpacePressure.of(fs(71, 40 * GB), 50 * GB, 0);
        assertEquals(14 * GB, p.bytesToFree()); // cap: 50 -> 36; file system: only 3
        assertEquals("soft limit and cap", p.reason());
    }

    @Test
    public void aFailedMeasurementComparesNothingButTheCapStillHolds() {
        final SpaceState failed = new SpaceState(SpaceZone.ABOVE_HARD, 0, 0, 0, 70, 80, 100, 0);
        assertSame(SpacePressure.NONE, SpacePressure.of(failed, 50, 0));
        assertEquals(110, SpacePressure.of(failed, 200, 0).bytesToFree());
    }

    @Test
    public void capArithmeticDoesNotOverflow() {
        assertEquals(Long.MAX_VALUE / 100 * 90 + Long.MAX_VALUE % 100 * 90 / 100,
                SpacePressure.capLowWater(Long.MAX_VALUE));
        assertTrue(SpacePressure.capLowWater(Long.MAX_VALUE) > 0);
        assertEquals(9, SpacePressure.capLowWater(10));
        assertEquals(0, SpacePressure.capLowWater(1));
    }

    @Test
    public void aSoftLimitBelowTheMarginFreesEverythingItCan() {
        final SpaceState s = new SpaceState(SpaceZone.ABOVE_SOFT, 100, 90, 0, 1, 80, 0, 0);
        assertEquals(10, SpacePressure.of(s, 0, 0).bytesToFree());
    }
}
