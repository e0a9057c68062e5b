package io.otaproxy.api.stats;

import java.util.Objects;

/** A request the proxy is serving now. Immutable. */
public final class ActiveRequest {

    private final String url;
    private final String cacheKey;
    private final long startedAtMillis;

    /**
     * @param url             the absolute URL the client asked for
     * @param cacheKey        its cache key once the cache path has computed it, else null
     * @param startedAtMillis wall-clock start time
     */
    public ActiveRequest(final String url, final String cacheKey, final long startedAtMillis) {
        this.url = Objects.requireNonNull(url, "url");
        this.cacheKey = cacheKey;
        this.startedAtMillis = startedAtMillis;
    }

    public String url() {
        return url;
    }

    /** The cache key (64 hex digits), or null when the request does not go through the cache. */
    public String cacheKey() {
        return cacheKey;
    }

    public long startedAtMillis() {
        return startedAtMillis;
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof ActiveRequest a && url.equals(a.url) && Objects.equals(cacheKey, a.cacheKey)
                && startedAtMillis == a.startedAtMillis;
    }

    @Override
    public int hashCode() {
        return Objects.hash(url, cacheKey, startedAtMillis);
    }

    @Override
    public String toString() {
        return url + (cacheKey == null ? "" : " (" + cacheKey + ")");
    }
}
