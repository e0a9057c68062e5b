package io.otaproxy.api.stats;

/** How the proxy answered one request. */
public enum RequestOutcome {
    /** From a complete cache entry (the local cache or an external one), without contacting upstream. */
    HIT,
    /** The request started a download into the cache and read it. */
    MISS,
    /** The request joined a download into the cache that another request had started. */
    SHARED,
    /** Relayed from upstream without the cache (caching off, no_cache, HEAD, a range, the disk full, not a 200). */
    RELAY,
    /** The proxy answered with an error of its own (400, 405, 502, 503, 504) or aborted the response. */
    ERROR
}
