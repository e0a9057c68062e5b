package io.otaproxy.admin.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.otaproxy.api.config.RefusedConfiguration;
import io.otaproxy.api.space.SpaceState;
import io.otaproxy.api.stats.ActiveRequest;
import io.otaproxy.api.stats.CacheStatistics;
import io.otaproxy.api.stats.ErrorRecord;
import io.otaproxy.api.stats.FillProgress;
import io.otaproxy.api.stats.ProxyStatistics;
import io.otaproxy.api.stats.RequestOutcome;

/**
 * One snapshot of everything the admin endpoint shows, taken from whichever services are there: the proxy's
 * counters, the cache store's, and the disk monitor's last measurement. A missing service leaves its part empty
 * (null or zero), so the page still answers while a bundle restarts.
 *
 * @param proxyServing whether the proxy servlet is active and takes requests (else the standby answers 503)
 * @param cachePresent whether a cache store is open (caching enabled and running)
 * @param space        the disk monitor's last measurement, or null
 * @param refusedConfigurations configurations a component refused and that still stand, oldest first
 */
record StatusReport(long atMillis, boolean proxyServing, Map<RequestOutcome, Long> requests, long bytesServed,
        long bytesFromUpstream, long upstreamErrors, int activeRequests, boolean cachePresent, long cacheEntries,
        long cacheBytes, long evictedEntries, long evictedBytes, long integrityFailures, long fillUpstreamFailures,
        List<Download> downloads, SpaceState space, List<ReportedError> recentErrors, boolean destructiveAllowed,
        List<RefusedConfiguration> refusedConfigurations) {

    /** At most this many errors are shown, newest kept. */
    static final int MAX_ERRORS = 20;

    static StatusReport take(final long atMillis, final ProxyStatistics proxy, final CacheStatistics cache,
            final SpaceState space, final boolean destructiveAllowed, final List<RefusedConfiguration> refused) {
        return take(atMillis, proxy, cache, space, destructiveAllowed, refused, List.of());
    }

    /** @param others errors reported elsewhere (refused bundle updates), merged with the services' own */
    static StatusReport take(final long atMillis, final ProxyStatistics proxy, final CacheStatistics cache,
            final SpaceState space, final boolean destructiveAllowed, final List<RefusedConfiguration> refused,
            final List<ReportedError> others) {
        final Map<RequestOutcome, Long> requests = new EnumMap<>(RequestOutcome.class);
        final List<ReportedError> errors = new ArrayList<>(others);
        final Map<String, String> urlByKey = new HashMap<>();
        int active = 0;
        if (proxy != null) {
            for (final RequestOutcome o : RequestOutcome.values()) {
                requests.put(o, proxy.requests(o));
            }
            for (final ActiveRequest r : proxy.activeRequests()) {
                active++;
                if (r.cacheKey() != null) {
                    urlByKey.putIfAbsent(r.cacheKey(), r.url());
                }
            }
            for (final ErrorRecord e : proxy.recentErrors()) {
                errors.add(new ReportedError(e.atMillis(), "proxy", e.message()));
            }
        } else {
            for (final RequestOutcome o : RequestOutcome.values()) {
                requests.put(o, 0L);
            }
        }
        final List<Download> downloads = new ArrayList<>();
        if (cache != null) {
            for (final FillProgress f : cache.fills()) {
                downloads.add(new Download(f.key(), urlByKey.get(f.key()), f.state(), f.bytesReceived(),
                        f.expectedBytes(), f.readers(), f.startedAtMillis()));
            }
            for (final ErrorRecord e : cache.recentErrors()) {
                errors.add(new ReportedError(e.atMillis(), "cache", e.message()));
            }
        }
        downloads.sort(Comparator.comparingLong(Download::startedAtMillis).thenComparing(Download::key));
        errors.sort(Comparator.comparingLong(ReportedError::atMillis));
        final List<ReportedError> recent = errors.size() > MAX_ERRORS
                ? errors.subList(errors.size() - MAX_ERRORS, errors.size()) : errors;
        return new StatusReport(atMillis, proxy != null && proxy.serving(), Map.copyOf(requests),
                proxy == null ? 0 : proxy.bytesServed(), proxy == null ? 0 : proxy.bytesFromUpstream(),
                proxy == null ? 0 : proxy.upstreamErrors(), active, cache != null,
                cache == null ? 0 : cache.entries(), cache == null ? 0 : cache.usedBytes(),
                cache == null ? 0 : cache.evictedEntries(), cache == null ? 0 : cache.evictedBytes(),
                cache == null ? 0 : cache.integrityFailures(), cache == null ? 0 : cache.upstreamFailures(),
                List.copyOf(downloads), space, List.copyOf(recent), destructiveAllowed,
                refused.stream().sorted(Comparator.comparingLong(RefusedConfiguration::atMillis)).toList());
    }

    long requests(final RequestOutcome outcome) {
        return requests.getOrDefault(outcome, 0L);
    }

    /** Bytes in use on the cache's file system as df counts them, or -1 without a measurement. */
    long diskUsedBytes() {
        return space == null ? -1 : space.totalBytes() - space.usableBytes();
    }
}
