package io.otaproxy.api.space;

/** Where disk use stands against the configured limits. */
public enum SpaceZone {
    /** Below the soft limit (and below the cache size cap): cache freely. */
    BELOW_SOFT,
    /** Above the soft limit or the cache size cap: keep caching, evict least valuable entries. */
    ABOVE_SOFT,
    /** Above the hard limit: write nothing new, relay; hits are still served. */
    ABOVE_HARD
}
