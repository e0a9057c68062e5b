package io.otaproxy.api.space;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * The cache's own size on disk, as its store keeps it: committed entries plus the temp files of fills in flight.
 * Offered by the cache store, so the disk monitor can weigh the cache against its cap without walking a tree of
 * hundreds of thousands of files on every poll.
 *
 * <p>A consumer type: the space API's users (the cache store) implement it, and the disk monitor calls it.
 *
 * @since 1.1
 */
@ConsumerType
public interface CacheUsage {

    /** Bytes the cache occupies now; cheap (no I/O) and safe to call from any thread. */
    long usedBytes();
}
