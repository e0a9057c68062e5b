package io.otaproxy.proxy.internal;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts requests in progress, in all and per client address, and refuses one beyond either limit at once (429)
 * rather than queueing it, as the reference's request semaphore does. The limits can change live; counts are kept
 * across changes, so a lowered limit applies as requests finish.
 */
final class RequestLimiter {

    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentHashMap<String, Integer> perClient = new ConcurrentHashMap<>();
    private volatile int maxTotal;
    private volatile int maxPerClient;

    /**
     * @param maxTotal     requests in progress at once, at least 1
     * @param maxPerClient requests in progress per client address; 0 means only the total limit applies
     */
    RequestLimiter(final int maxTotal, final int maxPerClient) {
        setLimits(maxTotal, maxPerClient);
    }

    void setLimits(final int newMaxTotal, final int newMaxPerClient) {
        if (newMaxTotal < 1 || newMaxPerClient < 0) {
            throw new IllegalArgumentException("limits " + newMaxTotal + "/" + newMaxPerClient);
        }
        this.maxTotal = newMaxTotal;
        this.maxPerClient = newMaxPerClient;
    }

    /**
     * Admits a request of {@code client}; every admission must be matched by one {@link #leave}.
     *
     * @return null when admitted, else why not
     */
    String tryEnter(final String client) {
        final int limit = maxTotal;
        if (total.incrementAndGet() > limit) {
            total.decrementAndGet();
            return "Too many requests: this proxy serves at most " + limit + " at once; try again later.";
        }
        final int perLimit = maxPerClient;
        final boolean[] admitted = {true};
        perClient.compute(client, (k, n) -> {
            final int count = n == null ? 0 : n;
            if (perLimit > 0 && count >= perLimit) {
                admitted[0] = false;
                return n;
            }
            return count + 1;
        });
        if (!admitted[0]) {
            total.decrementAndGet();
            return "Too many requests from " + client + ": at most " + perLimit + " at once; try again later.";
        }
        return null;
    }

    void leave(final String client) {
        perClient.computeIfPresent(client, (k, n) -> n <= 1 ? null : n - 1);
        total.decrementAndGet();
    }

    int inProgress() {
        return total.get();
    }

    int inProgress(final String client) {
        final Integer n = perClient.get(client);
        return n == null ? 0 : n;
    }

    /** Client addresses with requests in progress (the map never keeps idle clients). */
    int clients() {
        return perClient.size();
    }
}
