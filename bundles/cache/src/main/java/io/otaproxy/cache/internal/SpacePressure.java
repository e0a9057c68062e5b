package io.otaproxy.cache.internal;

import io.otaproxy.api.space.SpaceState;

/**
 * The watermark rule: how many bytes to evict now, and why. Eviction starts above a high mark and frees down to a
 * lower one, like Squid's {@code cache_swap_high}/{@code cache_swap_low}, so the cache does not evict a few bytes
 * after every commit once it is full, nor run the disk right up to the soft limit again at once.
 *
 * <ul>
 * <li>File system: above the soft limit, evict until use is {@value #LOW_WATER_POINTS} percentage points below
 * it. Two points of a 32 GB partition are some 640 MB, a few typical update images: enough room that the next
 * eviction waits for several downloads, while the cache keeps nearly all it may hold. (Squid's default gap is
 * five points, on caches that are the whole purpose of their disk; ours shares a gateway's disk.)</li>
 * <li>Cap: above {@code cache_max_bytes}, evict until the cache holds {@value #CAP_LOW_WATER_PERCENT} % of it,
 * for the same reason.</li>
 * </ul>
 * Each mark applies to its own trigger; when both fire, the larger need wins.
 *
 * @param bytesToFree bytes to evict, 0 when nothing is needed
 * @param softLimit   whether the file system is above the soft limit
 * @param cap         whether the cache is above its cap
 */
record SpacePressure(long bytesToFree, boolean softLimit, boolean cap) {

    /** How far below the soft limit eviction frees the file system, in percentage points. */
    static final int LOW_WATER_POINTS = 2;
    /** Down to which share of the cap eviction frees the cache, in percent. */
    static final int CAP_LOW_WATER_PERCENT = 90;

    static final SpacePressure NONE = new SpacePressure(0, false, false);

    /**
     * @param state             the disk monitor's latest measurement, with the limits and the cap
     * @param cacheBytes        the cache's size now (exact, from the store)
     * @param evictedSinceState bytes evicted after {@code state} was measured, which it cannot show yet: without
     *                          them, a check between two measurements would evict the same excess twice
     */
    static SpacePressure of(final SpaceState state, final long cacheBytes, final long evictedSinceState) {
        long need = 0;
        boolean soft = false;
        final long total = state.totalBytes();
        if (total > 0) { // 0: the measurement failed; there is nothing to compare
            final long used = Math.max(0, total - state.usableBytes() - evictedSinceState);
            if (100.0 * used / total > state.softLimitPercent()) {
                final int lowPercent = Math.max(0, state.softLimitPercent() - LOW_WATER_POINTS);
                need = used - (long) (total * (lowPercent / 100.0));
                soft = true;
            }
        }
        boolean overCap = false;
        final long max = state.cacheMaxBytes();
        if (max > 0 && cacheBytes > max) {
            need = Math.max(need, cacheBytes - capLowWater(max));
            overCap = true;
        }
        return need > 0 ? new SpacePressure(need, soft, overCap) : NONE;
    }

    /** {@value #CAP_LOW_WATER_PERCENT} % of {@code cap}, without overflowing for caps near Long.MAX_VALUE. */
    static long capLowWater(final long cap) {
        return cap / 100 * CAP_LOW_WATER_PERCENT + cap % 100 * CAP_LOW_WATER_PERCENT / 100;
    }

    /** The reason for a log line. */
    String reason() {
        if (softLimit && cap) {
            return "soft limit and cap";
        }
        return softLimit ? "soft limit" : "cap";
    }
}
