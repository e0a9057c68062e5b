package io.otaproxy.config.internal;

import java.util.LinkedHashMap;
import java.util.Map;

/** Maps a {@link ProxyInfo} onto the properties of each configuration this bundle owns. */
final class ConfigurationMapping {

    // A forward proxy relays the request target as opaque bytes; Jetty must not normalise or refuse it.
    static final String URI_COMPLIANCE_UNSAFE = "UNSAFE";
    // Large enough that a cached body leaves in big writes rather than Jetty's default small chunks.
    static final int RESPONSE_BUFFER_BYTES = 65_536;
    // Request line plus headers above this get 414 (request line) or 431 (headers) from Jetty. OTA requests are a
    // few hundred bytes; pre-signed URLs can reach a few KiB.
    static final int MAX_REQUEST_HEAD_BYTES = 16_384;
    // Jetty's read buffer per connection; a head larger than it is still assembled up to the limit above.
    static final int REQUEST_BUFFER_BYTES = 8_192;

    // The proxy's Jetty threads. Waiting costs none of them (slow clients and downloads not yet at a client's
    // offset wait by callback, and every exchange with upstream runs on the proxy's own transfer threads), so they
    // run short steps only. Jetty's default of 200 only costs memory on a gateway.
    static final int PROXY_THREADS = 16;
    // The admin endpoint's threads: a scrape or a status page now and then.
    static final int ADMIN_THREADS = 8;

    private final String launchId;

    /** @param launchId the framework's launch id ({@code org.osgi.framework.uuid}), used when init_cache is set */
    ConfigurationMapping(final String launchId) {
        this.launchId = launchId == null ? "" : launchId;
    }

    /** The singleton PIDs and their properties, in the order they are published. */
    Map<String, Map<String, Object>> singletons(final ProxyInfo info) {
        final Map<String, Map<String, Object>> pids = new LinkedHashMap<>();
        pids.put(ConfigKeys.PROXY_PID, proxy(info));
        pids.put(ConfigKeys.CACHE_PID, cache(info));
        pids.put(ConfigKeys.DISK_PID, disk(info));
        pids.put(ConfigKeys.LOGGING_PID, Map.of(ConfigKeys.LOGGING_LEVEL, info.logLevel()));
        pids.put(ConfigKeys.ADMIN_PID, Map.of(ConfigKeys.ADMIN_ALLOW_DESTRUCTIVE, info.adminAllowDestructive()));
        return pids;
    }

    /**
     * The admin endpoint's own HTTP listener, or null when it is off ({@code admin_listen_port: 0}). A separate
     * Jetty instance: the metrics and status pages never share a port, a thread pool or a restart with the proxy.
     */
    Map<String, Object> adminListener(final ProxyInfo info) {
        if (info.adminListenPort() == 0) {
            return null;
        }
        final Map<String, Object> p = new LinkedHashMap<>();
        p.put(ConfigKeys.HTTP_NAME, ConfigKeys.ADMIN_HTTP_CONFIG_NAME);
        p.put(ConfigKeys.HTTP_HOST, info.adminListenAddr());
        p.put(ConfigKeys.HTTP_PORT, info.adminListenPort());
        p.put(ConfigKeys.HTTP_ENABLE, Boolean.TRUE);
        p.put(ConfigKeys.HTTPS_ENABLE, Boolean.FALSE);
        p.put(ConfigKeys.HTTP_SEND_SERVER_HEADER, Boolean.FALSE);
        p.put(ConfigKeys.HTTP_TIMEOUT, ProxyInfo.DEFAULT_CLIENT_IDLE_TIMEOUT_MS);
        p.put(ConfigKeys.HTTP_THREADPOOL_MAX, ADMIN_THREADS);
        return p;
    }

    /** The HTTP listener's factory configuration, or null when the proxy is disabled and must not listen. */
    Map<String, Object> httpListener(final ProxyInfo info) {
        if (!info.proxyEnabled()) {
            return null;
        }
        final Map<String, Object> p = new LinkedHashMap<>();
        p.put(ConfigKeys.HTTP_NAME, ConfigKeys.HTTP_CONFIG_NAME);
        p.put(ConfigKeys.HTTP_HOST, info.listenAddr());
        p.put(ConfigKeys.HTTP_PORT, info.listenPort());
        p.put(ConfigKeys.HTTP_ENABLE, Boolean.TRUE);
        p.put(ConfigKeys.HTTPS_ENABLE, Boolean.FALSE);
        p.put(ConfigKeys.HTTP_URI_COMPLIANCE, URI_COMPLIANCE_UNSAFE);
        p.put(ConfigKeys.HTTP_RESPONSE_BUFFER_SIZE, RESPONSE_BUFFER_BYTES);
        p.put(ConfigKeys.HTTP_SEND_SERVER_HEADER, Boolean.FALSE);
        p.put(ConfigKeys.HTTP_TIMEOUT, info.clientIdleTimeoutMs());
        p.put(ConfigKeys.HTTP_HEADER_BUFFER_SIZE, MAX_REQUEST_HEAD_BYTES);
        p.put(ConfigKeys.HTTP_REQUEST_BUFFER_SIZE, REQUEST_BUFFER_BYTES);
        p.put(ConfigKeys.HTTP_THREADPOOL_MAX, PROXY_THREADS);
        return p;
    }

    private static Map<String, Object> proxy(final ProxyInfo info) {
        final Map<String, Object> p = new LinkedHashMap<>();
        p.put(ConfigKeys.PROXY_UPPER_PROXY, info.upperProxy());
        p.put(ConfigKeys.PROXY_ENABLE_HTTPS, info.httpsEnabled());
        p.put(ConfigKeys.PROXY_REVALIDATE, info.revalidate());
        p.put(ConfigKeys.PROXY_LISTEN_ADDR, info.listenAddr());
        p.put(ConfigKeys.PROXY_LISTEN_PORT, info.listenPort());
        p.put(ConfigKeys.PROXY_CONNECT_TIMEOUT_MS, info.connectTimeoutMs());
        p.put(ConfigKeys.PROXY_READ_TIMEOUT_MS, info.readTimeoutMs());
        p.put(ConfigKeys.PROXY_ALLOWED_UPSTREAMS, info.allowedUpstreams().toArray(new String[0]));
        p.put(ConfigKeys.PROXY_ID, info.proxyId());
        p.put(ConfigKeys.PROXY_MAX_CONCURRENT_REQUESTS, info.maxConcurrentRequests());
        p.put(ConfigKeys.PROXY_MAX_REQUESTS_PER_CLIENT, info.maxRequestsPerClient());
        p.put(ConfigKeys.PROXY_MAX_UPSTREAM_CONNECTIONS, info.maxUpstreamConnections());
        p.put(ConfigKeys.PROXY_CLIENT_HEADER_TIMEOUT_MS, info.clientHeaderTimeoutMs());
        p.put(ConfigKeys.PROXY_MEMORY_BUDGET_BYTES, info.memoryBudgetBytes() - cacheShare(info));
        return p;
    }

    private Map<String, Object> cache(final ProxyInfo info) {
        final Map<String, Object> p = new LinkedHashMap<>();
        p.put(ConfigKeys.CACHE_DIR, info.cacheDir());
        p.put(ConfigKeys.CACHE_ENABLE, info.cacheEnabled());
        p.put(ConfigKeys.CACHE_INIT_ID, info.initCache() ? launchId : "");
        p.put(ConfigKeys.CACHE_EXTERNAL_DIRS, info.externalCacheDirs().toArray(new String[0]));
        p.put(ConfigKeys.CACHE_FILL_ALWAYS_FINISH, info.fillAlwaysFinish());
        p.put(ConfigKeys.CACHE_EVICTION_POLICY, info.evictionPolicy());
        p.put(ConfigKeys.CACHE_RELAY_MEMORY_BYTES, cacheShare(info));
        return p;
    }

    /** The cache store's share of {@code memory_budget_mb}: a quarter, for downloads relaying past the hard limit. */
    private static long cacheShare(final ProxyInfo info) {
        return info.memoryBudgetBytes() / 4;
    }

    private static Map<String, Object> disk(final ProxyInfo info) {
        final Map<String, Object> p = new LinkedHashMap<>();
        p.put(ConfigKeys.DISK_SOFT_LIMIT_PERCENT, info.softLimitPercent());
        p.put(ConfigKeys.DISK_HARD_LIMIT_PERCENT, info.hardLimitPercent());
        p.put(ConfigKeys.DISK_CACHE_MAX_BYTES, info.cacheMaxBytes());
        p.put(ConfigKeys.DISK_POLL_INTERVAL_MS, info.diskPollIntervalMs());
        return p;
    }
}
