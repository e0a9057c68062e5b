package io.otaproxy.api.cache;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Operator actions on the cache store, offered while a store is open. Each is safe while clients are served:
 * readers of a removed entry finish reading it, and downloads in flight are never touched.
 *
 * @since 1.2
 */
@ProviderType
public interface CacheMaintenance {

    /**
     * Removes the complete entry for {@code key} (64 hex digits).
     *
     * @return whether there was one
     * @throws IllegalArgumentException when {@code key} is not a cache key
     */
    boolean purge(String key);

    /** Removes every complete entry; downloads in flight go on. Returns how many were removed. */
    int purgeAll();

    /**
     * Runs an eviction check now, as the maintenance thread does every few seconds: when the disk is above its
     * soft limit or the cache above its cap, entries are evicted in the order of the eviction policy down to the
     * low-water marks. Waits for it and returns the bytes freed (0 when space is not short).
     */
    long evictNow();
}
