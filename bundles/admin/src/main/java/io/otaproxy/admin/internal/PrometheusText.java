package io.otaproxy.admin.internal;

import java.util.Locale;

import io.otaproxy.api.space.SpaceState;
import io.otaproxy.api.space.SpaceZone;
import io.otaproxy.api.stats.RequestOutcome;

/** Renders a status snapshot in the Prometheus text exposition format (version 0.0.4). */
final class PrometheusText {

    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final StringBuilder out = new StringBuilder(4096);

    private PrometheusText() {
    }

    static String render(final StatusReport r) {
        final PrometheusText p = new PrometheusText();
        p.head("otaproxy_requests_total", "counter", "Requests answered, by outcome.");
        for (final RequestOutcome o : RequestOutcome.values()) {
            p.sample("otaproxy_requests_total", "outcome", o.name().toLowerCase(Locale.ROOT), r.requests(o));
        }
        p.metric("otaproxy_served_bytes_total", "counter", "Body bytes sent to clients.", r.bytesServed());
        p.metric("otaproxy_upstream_bytes_total", "counter", "Bytes received from upstream.", r.bytesFromUpstream());
        p.head("otaproxy_upstream_errors_total", "counter",
                "Upstream failures: of relayed requests (stage=request) and of downloads into the cache (stage=fill).");
        p.sample("otaproxy_upstream_errors_total", "stage", "request", r.upstreamErrors());
        p.sample("otaproxy_upstream_errors_total", "stage", "fill", r.fillUpstreamFailures());
        p.metric("otaproxy_proxy_serving", "gauge",
                "1 while the proxy servlet takes requests; 0 while the standby answers them with 503.",
                r.proxyServing() ? 1 : 0);
        p.metric("otaproxy_active_requests", "gauge", "Requests being served now.", r.activeRequests());
        p.metric("otaproxy_fills_in_flight", "gauge", "Downloads into the cache running now.", r.downloads().size());
        p.metric("otaproxy_fill_readers", "gauge", "Clients reading downloads into the cache now.",
                r.downloads().stream().mapToLong(Download::readers).sum());
        p.metric("otaproxy_cache_enabled", "gauge", "1 while a cache store is running.", r.cachePresent() ? 1 : 0);
        p.metric("otaproxy_cache_entries", "gauge", "Complete entries in the cache.", r.cacheEntries());
        p.metric("otaproxy_cache_size_bytes", "gauge", "Bytes the cache occupies on disk.", r.cacheBytes());
        p.metric("otaproxy_evictions_total", "counter", "Entries evicted to free space.", r.evictedEntries());
        p.metric("otaproxy_evicted_bytes_total", "counter", "Bytes freed by eviction.", r.evictedBytes());
        p.metric("otaproxy_integrity_failures_total", "counter",
                "Downloads refused for a wrong length or sha256.", r.integrityFailures());
        final SpaceState s = r.space();
        if (s != null) {
            p.metric("otaproxy_disk_total_bytes", "gauge", "Capacity of the cache's file system, as df counts it.",
                    s.totalBytes());
            p.metric("otaproxy_disk_used_bytes", "gauge", "Bytes used on the cache's file system.", r.diskUsedBytes());
            p.metric("otaproxy_disk_free_bytes", "gauge", "Bytes the proxy may still write there.", s.usableBytes());
            p.metric("otaproxy_disk_soft_limit_bytes", "gauge", "Use above which entries are evicted.",
                    s.totalBytes() / 100 * s.softLimitPercent());
            p.metric("otaproxy_disk_hard_limit_bytes", "gauge", "Use above which nothing new is cached.",
                    s.totalBytes() / 100 * s.hardLimitPercent());
            p.metric("otaproxy_cache_max_bytes", "gauge", "Cap on the cache's size; 0 when there is none.",
                    s.cacheMaxBytes());
            p.head("otaproxy_space_state", "gauge", "1 for the zone the disk is in against the limits.");
            for (final SpaceZone z : SpaceZone.values()) {
                p.sample("otaproxy_space_state", "state", z.name().toLowerCase(Locale.ROOT), z == s.zone() ? 1 : 0);
            }
        }
        return p.out.toString();
    }

    private void metric(final String name, final String type, final String help, final long value) {
        head(name, type, help);
        out.append(name).append(' ').append(value).append('\n');
    }

    private void head(final String name, final String type, final String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    /** Label values here are fixed words from enums, never user input, so they need no escaping. */
    private void sample(final String name, final String label, final String value, final long sample) {
        out.append(name).append('{').append(label).append("=\"").append(value).append("\"} ").append(sample)
                .append('\n');
    }
}
