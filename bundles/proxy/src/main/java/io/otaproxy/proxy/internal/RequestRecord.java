package io.otaproxy.proxy.internal;

import jakarta.servlet.http.HttpServletRequest;

import io.otaproxy.api.stats.ActiveRequest;
import io.otaproxy.api.stats.RequestOutcome;

/**
 * What the proxy learns about one request while serving it: its cache key and how it was answered. Travels with
 * the request as an attribute, so the code that decides (the cache path, the relay) marks it without being handed
 * anything; {@link ProxyActivity} counts it when the request ends.
 */
final class RequestRecord {

    static final String ATTRIBUTE = RequestRecord.class.getName();

    private final String method;
    private final String url;
    private final long startedAtMillis;
    private final long startedNanos;
    private volatile String cacheKey;
    private volatile RequestOutcome outcome;

    RequestRecord(final String method, final String url, final long startedAtMillis, final long startedNanos) {
        this.method = method;
        this.url = url;
        this.startedAtMillis = startedAtMillis;
        this.startedNanos = startedNanos;
    }

    /** The record of {@code request}, or null when it has none (a request not entered through the servlet). */
    static RequestRecord of(final HttpServletRequest request) {
        final Object record = request.getAttribute(ATTRIBUTE);
        return record instanceof RequestRecord r ? r : null;
    }

    /** Marks how {@code request} is being answered; an error, once marked, stays. */
    static void mark(final HttpServletRequest request, final RequestOutcome outcome) {
        final RequestRecord record = of(request);
        if (record != null) {
            record.outcome(outcome);
        }
    }

    /** Notes the cache key of {@code request}, so a download on the status page shows its URL. */
    static void key(final HttpServletRequest request, final String key) {
        final RequestRecord record = of(request);
        if (record != null) {
            record.cacheKey = key;
        }
    }

    void outcome(final RequestOutcome next) {
        if (outcome != RequestOutcome.ERROR) {
            outcome = next;
        }
    }

    /** The outcome marked, or RELAY: a request that never reached the cache path was relayed. */
    RequestOutcome outcome() {
        final RequestOutcome o = outcome;
        return o == null ? RequestOutcome.RELAY : o;
    }

    String method() {
        return method;
    }

    String url() {
        return url;
    }

    long startedNanos() {
        return startedNanos;
    }

    ActiveRequest snapshot() {
        return new ActiveRequest(url, cacheKey, startedAtMillis);
    }
}
