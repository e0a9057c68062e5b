package io.otaproxy.config.internal;

import java.util.List;
import java.util.Objects;

/** An immutable, validated snapshot of proxy_info.yml with its overrides applied: what the proxy should run with. */
final class ProxyInfo {

    static final boolean DEFAULT_PROXY_ENABLED = true;
    static final String DEFAULT_LISTEN_ADDR = "0.0.0.0";
    // otaclient launches the reference on 8082 and child ECUs look for their upper proxy there.
    static final int DEFAULT_LISTEN_PORT = 8082;
    static final boolean DEFAULT_CACHE_ENABLED = true;
    static final String DEFAULT_CACHE_DIR = "./ota-cache";
    static final int DEFAULT_SOFT_LIMIT_PERCENT = 70;
    static final int DEFAULT_HARD_LIMIT_PERCENT = 80;
    static final String DEFAULT_LOG_LEVEL = "info";
    static final int DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
    // The reference's socket read timeout (AIOHTTP_SOCKET_READ_TIMEOUT).
    static final int DEFAULT_READ_TIMEOUT_MS = 16_000;
    static final long DEFAULT_DISK_POLL_INTERVAL_MS = 2_000;
    static final String DEFAULT_EVICTION_POLICY = "lru";
    // The admin endpoint answers on the gateway itself only, unless an operator opens it up.
    static final String DEFAULT_ADMIN_LISTEN_ADDR = "127.0.0.1";
    static final int DEFAULT_ADMIN_LISTEN_PORT = 8099;
    // The reference's request semaphore (MAX_CONCURRENT_REQUESTS).
    static final int DEFAULT_MAX_CONCURRENT_REQUESTS = 1024;
    // Off: a child ota-proxy brings all of its ECUs' requests from one address.
    static final int DEFAULT_MAX_REQUESTS_PER_CLIENT = 0;
    static final int DEFAULT_MAX_UPSTREAM_CONNECTIONS = 256;
    /** Memory for bodies on their way to clients, all of them together: fits the launcher's heap and direct memory. */
    static final int DEFAULT_MEMORY_BUDGET_MB = 64;
    static final int MIN_MEMORY_BUDGET_MB = 8;
    static final int MAX_MEMORY_BUDGET_MB = 65_536;
    // The ranges the components hold timeouts and the disk poll to; the file is held to them too, so that an edit
    // the components would refuse is refused as a whole. An hour: longer than any sensible wait, short enough to
    // catch a unit mistake.
    static final int MAX_WAIT_MILLIS = 3_600_000;
    static final int MIN_DISK_POLL_MILLIS = 10;
    // Idle client connections close after this long: room for an OTA client's pauses, yet sockets get freed.
    static final int DEFAULT_CLIENT_IDLE_TIMEOUT_MS = 60_000;
    // An ECU sends its request head in one packet; a head still incomplete after this is a slow or hostile client.
    static final int DEFAULT_CLIENT_HEADER_TIMEOUT_MS = 30_000;

    private final boolean proxyEnabled;
    private final String listenAddr;
    private final int listenPort;
    private final boolean cacheEnabled;
    private final String upperProxy;
    private final boolean httpsEnabled;
    private final String cacheDir;
    private final boolean initCache;
    private final boolean fillAlwaysFinish;
    private final boolean revalidate;
    private final List<String> externalCacheDirs;
    private final int softLimitPercent;
    private final int hardLimitPercent;
    private final long cacheMaxBytes;
    private final String logLevel;
    private final int connectTimeoutMs;
    private final int readTimeoutMs;
    private final long diskPollIntervalMs;
    private final String evictionPolicy;
    private final String adminListenAddr;
    private final int adminListenPort;
    private final boolean adminAllowDestructive;
    private final List<String> allowedUpstreams;
    private final String proxyId;
    private final int maxConcurrentRequests;
    private final int maxRequestsPerClient;
    private final int maxUpstreamConnections;
    private final int memoryBudgetMb;
    private final int clientIdleTimeoutMs;
    private final int clientHeaderTimeoutMs;

    private ProxyInfo(final Builder b) {
        this.proxyEnabled = b.proxyEnabled;
        this.listenAddr = Objects.requireNonNull(b.listenAddr, "listenAddr");
        this.listenPort = b.listenPort;
        this.cacheEnabled = b.cacheEnabled;
        this.upperProxy = Objects.requireNonNull(b.upperProxy, "upperProxy");
        this.httpsEnabled = b.httpsEnabled;
        this.cacheDir = Objects.requireNonNull(b.cacheDir, "cacheDir");
        this.initCache = b.initCache;
        this.fillAlwaysFinish = b.fillAlwaysFinish;
        this.revalidate = b.revalidate;
        this.externalCacheDirs = List.copyOf(b.externalCacheDirs);
        this.softLimitPercent = b.softLimitPercent;
        this.hardLimitPercent = b.hardLimitPercent;
        this.cacheMaxBytes = b.cacheMaxBytes;
        this.logLevel = Objects.requireNonNull(b.logLevel, "logLevel");
        this.connectTimeoutMs = b.connectTimeoutMs;
        this.readTimeoutMs = b.readTimeoutMs;
        this.diskPollIntervalMs = b.diskPollIntervalMs;
        this.evictionPolicy = Objects.requireNonNull(b.evictionPolicy, "evictionPolicy");
        this.adminListenAddr = Objects.requireNonNull(b.adminListenAddr, "adminListenAddr");
        this.adminListenPort = b.adminListenPort;
        this.adminAllowDestructive = b.adminAllowDestructive;
        this.allowedUpstreams = List.copyOf(b.allowedUpstreams);
        this.proxyId = Objects.requireNonNull(b.proxyId, "proxyId");
        this.maxConcurrentRequests = b.maxConcurrentRequests;
        this.maxRequestsPerClient = b.maxRequestsPerClient;
        this.maxUpstreamConnections = b.maxUpstreamConnections;
        this.memoryBudgetMb = b.memoryBudgetMb;
        this.clientIdleTimeoutMs = b.clientIdleTimeoutMs;
        this.clientHeaderTimeoutMs = b.clientHeaderTimeoutMs;
    }

    static Builder builder() {
        return new Builder();
    }

    /** Whether the proxy listens at all; false means no HTTP listener. */
    boolean proxyEnabled() {
        return proxyEnabled;
    }

    String listenAddr() {
        return listenAddr;
    }

    int listenPort() {
        return listenPort;
    }

    boolean cacheEnabled() {
        return cacheEnabled;
    }

    /** The upper proxy as {@code http://host[:port]}, or "" when this proxy goes to the origins itself. */
    String upperProxy() {
        return upperProxy;
    }

    /** Whether upstream requests are rewritten to https; always false when there is an upper proxy. */
    boolean httpsEnabled() {
        return httpsEnabled;
    }

    /** The cache directory as an absolute, normalized path. */
    String cacheDir() {
        return cacheDir;
    }

    boolean initCache() {
        return initCache;
    }

    /** Whether a fill keeps downloading after every client has gone. */
    boolean fillAlwaysFinish() {
        return fillAlwaysFinish;
    }

    /** Whether URL-keyed entries are revalidated with upstream when HTTP asks for it. */
    boolean revalidate() {
        return revalidate;
    }

    /** Read-only external cache mount points, absolute, without duplicates. */
    List<String> externalCacheDirs() {
        return externalCacheDirs;
    }

    int softLimitPercent() {
        return softLimitPercent;
    }

    int hardLimitPercent() {
        return hardLimitPercent;
    }

    /** The cap on the cache's own size in bytes; 0 when there is none. */
    long cacheMaxBytes() {
        return cacheMaxBytes;
    }

    /** One of trace, debug, info, warn, error. */
    String logLevel() {
        return logLevel;
    }

    int connectTimeoutMs() {
        return connectTimeoutMs;
    }

    int readTimeoutMs() {
        return readTimeoutMs;
    }

    long diskPollIntervalMs() {
        return diskPollIntervalMs;
    }

    String evictionPolicy() {
        return evictionPolicy;
    }

    String adminListenAddr() {
        return adminListenAddr;
    }

    /** The admin endpoint's port; 0 when there is no admin endpoint. */
    int adminListenPort() {
        return adminListenPort;
    }

    /** Whether the admin endpoint may purge and evict. */
    boolean adminAllowDestructive() {
        return adminAllowDestructive;
    }

    /** Upstream rules (host, port, CIDR); empty means any upstream. */
    List<String> allowedUpstreams() {
        return allowedUpstreams;
    }

    /** The proxy's name in Via; "" lets the proxy choose one per instance. */
    String proxyId() {
        return proxyId;
    }

    int maxConcurrentRequests() {
        return maxConcurrentRequests;
    }

    /** Concurrent requests per client address; 0 means no limit of its own. */
    int maxRequestsPerClient() {
        return maxRequestsPerClient;
    }

    /** Upstream connections open at once; 0 means no limit. */
    int maxUpstreamConnections() {
        return maxUpstreamConnections;
    }

    int memoryBudgetMb() {
        return memoryBudgetMb;
    }

    long memoryBudgetBytes() {
        return (long) memoryBudgetMb << 20;
    }

    int clientIdleTimeoutMs() {
        return clientIdleTimeoutMs;
    }

    int clientHeaderTimeoutMs() {
        return clientHeaderTimeoutMs;
    }

    @Override
    public boolean equals(final Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ProxyInfo)) {
            return false;
        }
        final ProxyInfo other = (ProxyInfo) o;
        return proxyEnabled == other.proxyEnabled && listenAddr.equals(other.listenAddr)
                && listenPort == other.listenPort && cacheEnabled == other.cacheEnabled
                && upperProxy.equals(other.upperProxy) && httpsEnabled == other.httpsEnabled
                && cacheDir.equals(other.cacheDir) && initCache == other.initCache
                && fillAlwaysFinish == other.fillAlwaysFinish && revalidate == other.revalidate
                && externalCacheDirs.equals(other.externalCacheDirs) && softLimitPercent == other.softLimitPercent
                && hardLimitPercent == other.hardLimitPercent && cacheMaxBytes == other.cacheMaxBytes
                && logLevel.equals(other.logLevel) && connectTimeoutMs == other.connectTimeoutMs
                && readTimeoutMs == other.readTimeoutMs && diskPollIntervalMs == other.diskPollIntervalMs
                && evictionPolicy.equals(other.evictionPolicy) && adminListenAddr.equals(other.adminListenAddr)
                && adminListenPort == other.adminListenPort && adminAllowDestructive == other.adminAllowDestructive
                && allowedUpstreams.equals(other.allowedUpstreams)
                && proxyId.equals(other.proxyId) && maxConcurrentRequests == other.maxConcurrentRequests
                && maxRequestsPerClient == other.maxRequestsPerClient
                && maxUpstreamConnections == other.maxUpstreamConnections
                && memoryBudgetMb == other.memoryBudgetMb
                && clientIdleTimeoutMs == other.clientIdleTimeoutMs
                && clientHeaderTimeoutMs == other.clientHeaderTimeoutMs;
    }

    @Override
    public int hashCode() {
        return Objects.hash(proxyEnabled, listenAddr, listenPort, cacheEnabled, upperProxy, httpsEnabled, cacheDir,
                initCache, fillAlwaysFinish, revalidate, externalCacheDirs, softLimitPercent, hardLimitPercent, cacheMaxBytes, logLevel,
                connectTimeoutMs, readTimeoutMs, diskPollIntervalMs, evictionPolicy, adminListenAddr, adminListenPort,
                adminAllowDestructive, allowedUpstreams, proxyId, maxConcurrentRequests, maxRequestsPerClient,
                maxUpstreamConnections, clientIdleTimeoutMs, clientHeaderTimeoutMs, memoryBudgetMb);
    }

    @Override
    public String toString() {
        return "listener " + (proxyEnabled ? listenAddr + ":" + listenPort : "disabled")
                + ", upper proxy " + (upperProxy.isEmpty() ? "none" : upperProxy)
                + ", https " + (httpsEnabled ? "on" : "off")
                + ", cache " + (cacheEnabled ? "on" : "off") + " at " + cacheDir + (initCache ? " (wipe at start)" : "")
                + (fillAlwaysFinish ? ", fills always finish" : "") + (revalidate ? "" : ", never revalidate")
                + ", external caches " + externalCacheDirs
                + ", disk soft " + softLimitPercent + " % / hard " + hardLimitPercent + " %"
                + ", cap " + (cacheMaxBytes == 0 ? "none" : cacheMaxBytes + " bytes")
                + ", disk poll " + diskPollIntervalMs + " ms"
                + ", timeouts connect " + connectTimeoutMs + " ms / read " + readTimeoutMs + " ms"
                + ", eviction " + evictionPolicy + ", log level " + logLevel
                + ", admin " + (adminListenPort == 0 ? "off" : adminListenAddr + ":" + adminListenPort
                        + (adminAllowDestructive ? " (purge and evict allowed)" : ""))
                + ", upstreams " + (allowedUpstreams.isEmpty() ? "any" : allowedUpstreams)
                + ", proxy id " + (proxyId.isEmpty() ? "per instance" : proxyId)
                + ", requests max " + maxConcurrentRequests
                + " / per client " + (maxRequestsPerClient == 0 ? "unlimited" : maxRequestsPerClient)
                + ", upstream connections max " + (maxUpstreamConnections == 0 ? "unlimited" : maxUpstreamConnections)
                + ", client idle timeout " + clientIdleTimeoutMs + " ms, head deadline " + clientHeaderTimeoutMs + " ms"
                + ", memory budget " + memoryBudgetMb + " MiB";
    }

    /** Collects the settings, starting from the embedded defaults (except the cache dir, which must be set). */
    static final class Builder {
        private boolean proxyEnabled = DEFAULT_PROXY_ENABLED;
        private String listenAddr = DEFAULT_LISTEN_ADDR;
        private int listenPort = DEFAULT_LISTEN_PORT;
        private boolean cacheEnabled = DEFAULT_CACHE_ENABLED;
        private String upperProxy = "";
        private boolean httpsEnabled;
        private String cacheDir;
        private boolean initCache;
        private boolean fillAlwaysFinish;
        private boolean revalidate = true;
        private List<String> externalCacheDirs = List.of();
        private int softLimitPercent = DEFAULT_SOFT_LIMIT_PERCENT;
        private int hardLimitPercent = DEFAULT_HARD_LIMIT_PERCENT;
        private long cacheMaxBytes;
        private String logLevel = DEFAULT_LOG_LEVEL;
        private int connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS;
        private int readTimeoutMs = DEFAULT_READ_TIMEOUT_MS;
        private long diskPollIntervalMs = DEFAULT_DISK_POLL_INTERVAL_MS;
        private String evictionPolicy = DEFAULT_EVICTION_POLICY;
        private String adminListenAddr = DEFAULT_ADMIN_LISTEN_ADDR;
        private int adminListenPort = DEFAULT_ADMIN_LISTEN_PORT;
        private boolean adminAllowDestructive;
        private List<String> allowedUpstreams = List.of();
        private String proxyId = "";
        private int maxConcurrentRequests = DEFAULT_MAX_CONCURRENT_REQUESTS;
        private int maxRequestsPerClient = DEFAULT_MAX_REQUESTS_PER_CLIENT;
        private int maxUpstreamConnections = DEFAULT_MAX_UPSTREAM_CONNECTIONS;
        private int memoryBudgetMb = DEFAULT_MEMORY_BUDGET_MB;
        private int clientIdleTimeoutMs = DEFAULT_CLIENT_IDLE_TIMEOUT_MS;
        private int clientHeaderTimeoutMs = DEFAULT_CLIENT_HEADER_TIMEOUT_MS;

        private Builder() {
        }

        Builder proxyEnabled(final boolean value) {
            proxyEnabled = value;
            return this;
        }

        Builder listenAddr(final String value) {
            listenAddr = value;
            return this;
        }

        Builder listenPort(final int value) {
            listenPort = value;
            return this;
        }

        Builder cacheEnabled(final boolean value) {
            cacheEnabled = value;
            return this;
        }

        Builder upperProxy(final String value) {
            upperProxy = value;
            return this;
        }

        Builder httpsEnabled(final boolean value) {
            httpsEnabled = value;
            return this;
        }

        Builder cacheDir(final String value) {
            cacheDir = value;
            return this;
        }

        Builder revalidate(final boolean value) {
            revalidate = value;
            return this;
        }

        Builder fillAlwaysFinish(final boolean value) {
            fillAlwaysFinish = value;
            return this;
        }

        Builder initCache(final boolean value) {
            initCache = value;
            return this;
        }

        Builder externalCacheDirs(final List<String> value) {
            externalCacheDirs = value;
            return this;
        }

        Builder softLimitPercent(final int value) {
            softLimitPercent = value;
            return this;
        }

        Builder hardLimitPercent(final int value) {
            hardLimitPercent = value;
            return this;
        }

        Builder cacheMaxBytes(final long value) {
            cacheMaxBytes = value;
            return this;
        }

        Builder logLevel(final String value) {
            logLevel = value;
            return this;
        }

        Builder connectTimeoutMs(final int value) {
            connectTimeoutMs = value;
            return this;
        }

        Builder readTimeoutMs(final int value) {
            readTimeoutMs = value;
            return this;
        }

        Builder diskPollIntervalMs(final long value) {
            diskPollIntervalMs = value;
            return this;
        }

        Builder evictionPolicy(final String value) {
            evictionPolicy = value;
            return this;
        }

        Builder adminListenAddr(final String value) {
            adminListenAddr = value;
            return this;
        }

        Builder adminListenPort(final int value) {
            adminListenPort = value;
            return this;
        }

        Builder adminAllowDestructive(final boolean value) {
            adminAllowDestructive = value;
            return this;
        }

        Builder allowedUpstreams(final List<String> value) {
            allowedUpstreams = value;
            return this;
        }

        Builder proxyId(final String value) {
            proxyId = value;
            return this;
        }

        Builder maxConcurrentRequests(final int value) {
            maxConcurrentRequests = value;
            return this;
        }

        Builder maxRequestsPerClient(final int value) {
            maxRequestsPerClient = value;
            return this;
        }

        Builder memoryBudgetMb(final int value) {
            memoryBudgetMb = value;
            return this;
        }

        Builder maxUpstreamConnections(final int value) {
            maxUpstreamConnections = value;
            return this;
        }

        Builder clientIdleTimeoutMs(final int value) {
            clientIdleTimeoutMs = value;
            return this;
        }

        Builder clientHeaderTimeoutMs(final int value) {
            clientHeaderTimeoutMs = value;
            return this;
        }

        ProxyInfo build() {
            return new ProxyInfo(this);
        }
    }
}
