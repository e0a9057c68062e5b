package io.otaproxy.api.stats;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/** Counters of the proxy servlet since its bundle started, and the requests it is serving now. */
@ProviderType
public interface ProxyStatistics {

    /** Requests answered with {@code outcome}; a request counts once, when it ends. */
    long requests(RequestOutcome outcome);

    /** Body bytes written to clients, counted when each request ends. */
    long bytesServed();

    /** Bytes received from upstream connections (heads and bodies, relayed or cached), as they arrive. */
    long bytesFromUpstream();

    /** Requests that failed because upstream was unreachable, timed out, answered garbage or broke off. */
    long upstreamErrors();

    /** The requests being served now. */
    List<ActiveRequest> activeRequests();

    /** The latest errors, oldest first; a bounded number. */
    List<ErrorRecord> recentErrors();

    /**
     * Whether the proxy servlet is active and takes requests: false while it has no configuration, refused the one
     * it was given, or is stopping. Requests that find it away are answered {@code 503} by the standby.
     *
     * @since 1.1
     */
    boolean serving();
}
