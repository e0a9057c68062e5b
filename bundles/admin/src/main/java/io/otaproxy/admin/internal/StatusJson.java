package io.otaproxy.admin.internal;

import java.util.Locale;

import io.otaproxy.api.config.RefusedConfiguration;
import io.otaproxy.api.space.SpaceState;
import io.otaproxy.api.stats.RequestOutcome;

/** Renders a status snapshot as the JSON of {@code /api/status}, which the status page reads. */
final class StatusJson {

    private StatusJson() {
    }

    static String render(final StatusReport r) {
        final Json j = new Json().beginObject();
        j.member("time", r.atMillis());
        j.member("serving", r.proxyServing());
        j.name("requests").beginObject();
        for (final RequestOutcome o : RequestOutcome.values()) {
            j.member(o.name().toLowerCase(Locale.ROOT), r.requests(o));
        }
        j.endObject();
        j.member("activeRequests", r.activeRequests());
        j.member("bytesServed", r.bytesServed());
        j.member("bytesFromUpstream", r.bytesFromUpstream());
        j.name("upstreamErrors").beginObject()
                .member("request", r.upstreamErrors()).member("fill", r.fillUpstreamFailures()).endObject();
        j.name("cache").beginObject()
                .member("enabled", r.cachePresent())
                .member("entries", r.cacheEntries())
                .member("sizeBytes", r.cacheBytes())
                .member("evictedEntries", r.evictedEntries())
                .member("evictedBytes", r.evictedBytes())
                .member("integrityFailures", r.integrityFailures())
                .endObject();
        j.name("disk");
        final SpaceState s = r.space();
        if (s == null) {
            j.nullValue();
        } else {
            j.beginObject()
                    .member("state", s.zone().name().toLowerCase(Locale.ROOT))
                    .member("totalBytes", s.totalBytes())
                    .member("usedBytes", r.diskUsedBytes())
                    .member("freeBytes", s.usableBytes())
                    .name("usedPercent").value(Math.round(s.usedPercent() * 10) / 10.0)
                    .member("softLimitPercent", s.softLimitPercent())
                    .member("hardLimitPercent", s.hardLimitPercent())
                    .member("cacheMaxBytes", s.cacheMaxBytes())
                    .member("measuredAt", s.measuredAtMillis())
                    .endObject();
        }
        j.name("downloads").beginArray();
        for (final Download d : r.downloads()) {
            j.beginObject()
                    .member("key", d.key())
                    .member("url", d.url())
                    .member("state", d.state())
                    .member("bytesReceived", d.bytesReceived())
                    .member("expectedBytes", d.expectedBytes())
                    .member("readers", d.readers())
                    .member("startedAt", d.startedAtMillis())
                    .endObject();
        }
        j.endArray();
        j.name("recentErrors").beginArray();
        for (final ReportedError e : r.recentErrors()) {
            j.beginObject().member("time", e.atMillis()).member("source", e.source()).member("message", e.message())
                    .endObject();
        }
        j.endArray();
        j.member("destructiveAllowed", r.destructiveAllowed());
        j.name("refusedConfigurations").beginArray();
        for (final RefusedConfiguration c : r.refusedConfigurations()) {
            j.beginObject().member("time", c.atMillis()).member("pid", c.pid()).member("key", c.key())
                    .member("value", c.value()).member("reason", c.reason()).endObject();
        }
        j.endArray();
        return j.endObject().toString();
    }

    /** The JSON answer to an action. */
    static String render(final ActionResult result) {
        return new Json().beginObject().member("ok", result.ok()).member("message", result.message())
                .member("amount", result.amount()).endObject().toString();
    }
}
