package io.otaproxy.api.space;

import java.util.Objects;

/** An immutable measurement of the cache's file system and of the cache itself. */
public final class SpaceState {

    private final SpaceZone zone;
    private final long totalBytes;
    private final long usableBytes;
    private final long cacheBytes;
    private final int softLimitPercent;
    private final int hardLimitPercent;
    private final long cacheMaxBytes;
    private final long measuredAtMillis;

    public SpaceState(final SpaceZone zone, final long totalBytes, final long usableBytes, final long cacheBytes,
            final int softLimitPercent, final int hardLimitPercent, final long cacheMaxBytes,
            final long measuredAtMillis) {
        this.zone = Objects.requireNonNull(zone, "zone");
        this.totalBytes = totalBytes;
        this.usableBytes = usableBytes;
        this.cacheBytes = cacheBytes;
        this.softLimitPercent = softLimitPercent;
        this.hardLimitPercent = hardLimitPercent;
        this.cacheMaxBytes = cacheMaxBytes;
        this.measuredAtMillis = measuredAtMillis;
    }

    public SpaceZone zone() {
        return zone;
    }

    /**
     * Capacity of the file system holding the cache directory as {@code df} counts it: bytes in use plus bytes
     * available to this process (blocks reserved for root are not part of it).
     */
    public long totalBytes() {
        return totalBytes;
    }

    /** Bytes this process may still write on that file system. */
    public long usableBytes() {
        return usableBytes;
    }

    /**
     * Bytes held by the cache's own files (entries and fills in flight), as the cache store reports them through
     * {@link CacheUsage}; 0 while no cache store reports its size.
     */
    public long cacheBytes() {
        return cacheBytes;
    }

    /** Used share of the file system in percent, 0 to 100, as {@code df} counts it. */
    public double usedPercent() {
        return totalBytes <= 0 ? 100.0 : 100.0 * (totalBytes - usableBytes) / totalBytes;
    }

    public int softLimitPercent() {
        return softLimitPercent;
    }

    public int hardLimitPercent() {
        return hardLimitPercent;
    }

    /** The cap on the cache's own size in bytes; 0 when there is none. */
    public long cacheMaxBytes() {
        return cacheMaxBytes;
    }

    public long measuredAtMillis() {
        return measuredAtMillis;
    }

    @Override
    public String toString() {
        return String.format("%s (used %.1f %% of %d bytes, %d usable, cache %d bytes; soft %d %%, hard %d %%, cap %d)",
                zone, usedPercent(), totalBytes, usableBytes, cacheBytes, softLimitPercent, hardLimitPercent,
                cacheMaxBytes);
    }
}
