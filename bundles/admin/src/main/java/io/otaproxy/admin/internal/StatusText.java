package io.otaproxy.admin.internal;

import java.time.Instant;
import java.util.Locale;

import io.otaproxy.api.config.RefusedConfiguration;
import io.otaproxy.api.space.SpaceState;
import io.otaproxy.api.stats.RequestOutcome;

/** Renders a status snapshot as lines of text for the shell. */
final class StatusText {

    private StatusText() {
    }

    static String render(final StatusReport r) {
        final StringBuilder b = new StringBuilder(512);
        b.append(r.proxyServing() ? "proxy:     serving\n"
                : "proxy:     not serving (starting, stopping, being updated, or its configuration was refused: see the"
                        + " log); requests are answered 503 with Retry-After\n");
        final SpaceState s = r.space();
        if (s == null) {
            b.append("disk:      no measurement yet\n");
        } else {
            b.append(String.format(Locale.ROOT, "disk:      %s, %.1f %% used of %s (soft limit %d %%, hard %d %%),"
                    + " %s free%n", s.zone().name().toLowerCase(Locale.ROOT), s.usedPercent(), bytes(s.totalBytes()),
                    s.softLimitPercent(), s.hardLimitPercent(), bytes(s.usableBytes())));
        }
        if (r.cachePresent()) {
            b.append(String.format(Locale.ROOT, "cache:     %d entries, %s%s; evicted %d (%s); integrity failures %d%n",
                    r.cacheEntries(), bytes(r.cacheBytes()),
                    s != null && s.cacheMaxBytes() > 0 ? " of a cap of " + bytes(s.cacheMaxBytes()) : "",
                    r.evictedEntries(), bytes(r.evictedBytes()), r.integrityFailures()));
        } else {
            b.append("cache:     not running (caching disabled or restarting): requests are relayed\n");
        }
        b.append("requests: ");
        for (final RequestOutcome o : RequestOutcome.values()) {
            b.append(' ').append(o.name().toLowerCase(Locale.ROOT)).append(' ').append(r.requests(o));
        }
        b.append(String.format(Locale.ROOT, "; %d active%n", r.activeRequests()));
        b.append(String.format(Locale.ROOT, "bytes:     served %s, from upstream %s; upstream errors %d + %d in"
                + " downloads%n", bytes(r.bytesServed()), bytes(r.bytesFromUpstream()), r.upstreamErrors(),
                r.fillUpstreamFailures()));
        b.append("downloads: ").append(r.downloads().size()).append('\n');
        for (final Download d : r.downloads()) {
            b.append(String.format(Locale.ROOT, "  %s %s of %s, %d readers, %s%n",
                    d.url() != null ? d.url() : d.key(), bytes(d.bytesReceived()),
                    d.expectedBytes() < 0 ? "unknown" : bytes(d.expectedBytes()), d.readers(), d.state()));
        }
        b.append("errors:    ").append(r.recentErrors().size()).append('\n');
        for (final ReportedError e : r.recentErrors()) {
            b.append("  ").append(Instant.ofEpochMilli(e.atMillis())).append(' ').append(e.source()).append(": ")
                    .append(e.message()).append('\n');
        }
        b.append("refused configurations: ").append(r.refusedConfigurations().size()).append('\n');
        for (final RefusedConfiguration c : r.refusedConfigurations()) {
            b.append("  ").append(Instant.ofEpochMilli(c.atMillis())).append(' ').append(c).append('\n');
        }
        b.append("purge and evict: ").append(r.destructiveAllowed() ? "allowed" : "disabled").append('\n');
        return b.toString();
    }

    /** Bytes in binary units with one decimal, as a person reads them. */
    static String bytes(final long n) {
        if (n < 1024) {
            return n + " B";
        }
        final String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = n;
        int u = -1;
        do {
            v /= 1024;
            u++;
        } while (v >= 1024 && u < units.length - 1);
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
