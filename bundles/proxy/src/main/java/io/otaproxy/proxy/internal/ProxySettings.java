package io.otaproxy.proxy.internal;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * An immutable snapshot of the proxy servlet's configuration. A request reads the snapshot once at its start,
 * so a live configuration change never alters a transfer half-way.
 */
final class ProxySettings {

    private final String upperProxy;
    private final boolean https;
    private final String listenAddr;
    private final int listenPort;
    private final int connectTimeoutMillis;
    private final int readTimeoutMillis;
    private final List<String> allowedUpstreams;
    private final String proxyId;
    private final int maxConcurrentRequests;
    private final int maxRequestsPerClient;
    private final int maxUpstreamConnections;
    private boolean revalidate = true; // set only by withRevalidation, before the snapshot is shared

    ProxySettings(final String upperProxy, final boolean https, final String listenAddr,
            final int listenPort, final int connectTimeoutMillis, final int readTimeoutMillis) {
        this(upperProxy, https, listenAddr, listenPort, connectTimeoutMillis, readTimeoutMillis, List.of(), "",
                1024, 0, 256);
    }

    ProxySettings(final String upperProxy, final boolean https, final String listenAddr, final int listenPort, final int connectTimeoutMillis, final int readTimeoutMillis,
            final List<String> allowedUpstreams, final String proxyId, final int maxConcurrentRequests,
            final int maxRequestsPerClient, final int maxUpstreamConnections) {
        this.upperProxy = upperProxy == null ? "" : upperProxy.trim();
        this.https = https;
        this.listenAddr = listenAddr;
        this.listenPort = listenPort;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.readTimeoutMillis = readTimeoutMillis;
        this.allowedUpstreams = List.copyOf(allowedUpstreams);
        this.proxyId = proxyId == null || proxyId.isBlank() ? ViaHeader.DEFAULT_ID : proxyId.trim();
        this.maxConcurrentRequests = Math.max(1, maxConcurrentRequests);
        this.maxRequestsPerClient = Math.max(0, maxRequestsPerClient);
        this.maxUpstreamConnections = Math.max(0, maxUpstreamConnections);
    }

    static ProxySettings from(final ProxyServletConfig config) {
        return new ProxySettings(config.upper_proxy(), config.enable_https(),
                config.listen_addr(), config.listen_port(), config.upstream_connect_timeout_ms(),
                config.upstream_read_timeout_ms(),
                config.allowed_upstreams() == null ? List.of() : Arrays.asList(config.allowed_upstreams()),
                config.proxy_id(), config.max_concurrent_requests(), config.max_requests_per_client(),
                config.max_upstream_connections()).withRevalidation(config.revalidate());
    }

    /** This snapshot with revalidation of URL-keyed entries on or off. */
    ProxySettings withRevalidation(final boolean on) {
        final ProxySettings copy = new ProxySettings(upperProxy, https, listenAddr, listenPort,
                connectTimeoutMillis, readTimeoutMillis, allowedUpstreams, proxyId, maxConcurrentRequests,
                maxRequestsPerClient, maxUpstreamConnections);
        copy.revalidate = on;
        return copy;
    }

    /**
     * Whether URL-keyed entries are revalidated with upstream when the client or the stored response asks for it
     * (HTTP freshness); off, the reference's behaviour: an entry is served until it is evicted.
     */
    boolean revalidate() {
        return revalidate;
    }

    /** The rules as configured; empty means any upstream. */
    List<String> allowedUpstreams() {
        return allowedUpstreams;
    }

    /** The id in Via: the configured one, or this instance's random one. */
    String proxyId() {
        return proxyId;
    }

    int maxConcurrentRequests() {
        return maxConcurrentRequests;
    }

    int maxRequestsPerClient() {
        return maxRequestsPerClient;
    }

    int maxUpstreamConnections() {
        return maxUpstreamConnections;
    }

    /** The upper proxy URL, or the empty string for direct connections. */
    String upperProxy() {
        return upperProxy;
    }

    boolean hasUpperProxy() {
        return !upperProxy.isEmpty();
    }

    /**
     * Whether http targets are fetched over https. Never through an upper proxy: that would need CONNECT, which an
     * upper ota-proxy refuses (a known failure of the reference).
     */
    boolean upgradeToHttps() {
        return https && !hasUpperProxy();
    }

    String listenAddr() {
        return listenAddr;
    }

    int listenPort() {
        return listenPort;
    }

    int connectTimeoutMillis() {
        return connectTimeoutMillis;
    }

    int readTimeoutMillis() {
        return readTimeoutMillis;
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof ProxySettings other && upperProxy.equals(other.upperProxy) && https == other.https
                && listenAddr.equals(other.listenAddr) && listenPort == other.listenPort
                && connectTimeoutMillis == other.connectTimeoutMillis && readTimeoutMillis == other.readTimeoutMillis
                && allowedUpstreams.equals(other.allowedUpstreams) && proxyId.equals(other.proxyId)
                && maxConcurrentRequests == other.maxConcurrentRequests
                && maxRequestsPerClient == other.maxRequestsPerClient
                && maxUpstreamConnections == other.maxUpstreamConnections && revalidate == other.revalidate;
    }

    @Override
    public int hashCode() {
        return Objects.hash(upperProxy, https, listenAddr, listenPort, connectTimeoutMillis,
                readTimeoutMillis, allowedUpstreams, proxyId, maxConcurrentRequests, maxRequestsPerClient,
                maxUpstreamConnections, revalidate);
    }

    @Override
    public String toString() {
        return "upstream " + (hasUpperProxy() ? "via " + upperProxy : "direct") + ", https "
                + (upgradeToHttps() ? "on" : "off") + ", connect timeout "
                + connectTimeoutMillis + " ms, read timeout " + readTimeoutMillis + " ms, upstreams "
                + (allowedUpstreams.isEmpty() ? "any" : allowedUpstreams) + ", id " + proxyId + ", requests max "
                + maxConcurrentRequests + (maxRequestsPerClient > 0 ? " (" + maxRequestsPerClient + " per client)" : "")
                + ", upstream connections max " + (maxUpstreamConnections > 0 ? maxUpstreamConnections : "unlimited")
                + ", revalidation " + (revalidate ? "on" : "off");
    }
}
