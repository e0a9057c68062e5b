package io.otaproxy.api.stats;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/** Counters of the cache store since it opened, and its downloads in flight. */
@ProviderType
public interface CacheStatistics {

    /** Complete entries in the cache. */
    long entries();

    /** Bytes the cache occupies: entries plus the temp files of downloads in flight. */
    long usedBytes();

    /** The downloads into the cache that are running now. */
    List<FillProgress> fills();

    /** Entries removed by eviction to free space. */
    long evictedEntries();

    /** Bytes freed by eviction. */
    long evictedBytes();

    /** Downloads refused because their length or sha256 did not match. */
    long integrityFailures();

    /** Downloads into the cache that failed because upstream broke off, stalled or timed out. */
    long upstreamFailures();

    /** The latest errors, oldest first; a bounded number. */
    List<ErrorRecord> recentErrors();
}
