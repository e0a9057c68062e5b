package io.otaproxy.proxy.internal;

import java.util.List;

import io.otaproxy.api.stats.ActiveRequest;
import io.otaproxy.api.stats.ErrorRecord;
import io.otaproxy.api.stats.ProxyStatistics;
import io.otaproxy.api.stats.RequestOutcome;
import io.otaproxy.proxy.internal.upstream.UpstreamTraffic;

import org.osgi.service.component.annotations.Component;

/** Offers the proxy's counters to the admin endpoint; it only reads what the servlet counts. */
@Component(service = ProxyStatistics.class)
public final class ProxyStatisticsComponent implements ProxyStatistics {

    private final ProxyActivity activity = ProxyActivity.INSTANCE;

    @Override
    public long requests(final RequestOutcome outcome) {
        return activity.requests(outcome);
    }

    @Override
    public long bytesServed() {
        return activity.bytesServed();
    }

    @Override
    public long bytesFromUpstream() {
        return UpstreamTraffic.bytesReceived();
    }

    @Override
    public long upstreamErrors() {
        return activity.upstreamErrors();
    }

    @Override
    public List<ActiveRequest> activeRequests() {
        return activity.activeRequests();
    }

    @Override
    public List<ErrorRecord> recentErrors() {
        return activity.recentErrors();
    }

    @Override
    public boolean serving() {
        return activity.serving();
    }
}
