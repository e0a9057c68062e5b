package io.otaproxy.disk.internal;

import io.otaproxy.api.space.SpaceZone;

/** The soft and hard limits and the cache cap, and the rule that turns a measurement into a zone. */
record SpaceLimits(int softPercent, int hardPercent, long cacheMaxBytes) {

    static SpaceLimits from(final DiskMonitorConfig config) {
        return new SpaceLimits(config.soft_limit_percent(), config.hard_limit_percent(), config.cache_max_bytes());
    }

    /**
     * The zone for a measurement. Use is compared as {@code df} shows it (used over used plus available), so an
     * operator reading {@code df} sees the same figure the proxy acts on. Past the hard limit nothing is written;
     * past the soft limit, or with the cache above its cap, entries are evicted.
     */
    SpaceZone zoneOf(final long totalBytes, final long usableBytes, final long cacheBytes) {
        final double used = totalBytes <= 0 ? 100.0 : 100.0 * (totalBytes - usableBytes) / totalBytes;
        if (used > hardPercent) {
            return SpaceZone.ABOVE_HARD;
        }
        if (used > softPercent || (cacheMaxBytes > 0 && cacheBytes > cacheMaxBytes)) {
            return SpaceZone.ABOVE_SOFT;
        }
        return SpaceZone.BELOW_SOFT;
    }
}
