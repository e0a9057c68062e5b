package io.otaproxy.config.internal;

import java.util.List;

/** The keys of proxy_info.yml this bundle reads; any other key is ignored. */
final class YamlKeys {

    // Old (2023) keys, still accepted; the new key wins when both are present.
    static final String GATEWAY = "gateway";
    static final String ENABLE_OTA_PROXY = "enable_ota_proxy";
    static final String LOCAL_SERVER = "local_server";

    // Keys shared with otaclient's proxy_info.yaml.
    static final String UPPER_OTA_PROXY = "upper_ota_proxy";
    static final String ENABLE_LOCAL_OTA_PROXY = "enable_local_ota_proxy";
    static final String LISTEN_ADDR = "local_ota_proxy_listen_addr";
    static final String LISTEN_PORT = "local_ota_proxy_listen_port";
    static final String ENABLE_CACHE = "enable_local_ota_proxy_cache";
    static final String EXTERNAL_NFS_CACHE_MNT_POINT = "external_nfs_cache_mnt_point";

    // ota-proxy's own keys.
    static final String CACHE_DIR = "cache_dir";
    static final String INIT_CACHE = "init_cache";
    static final String FILL_ALWAYS_FINISH = "cache_fill_always_finish";
    /** Revalidate URL-keyed entries when HTTP asks for it; false keeps the reference's never-revalidate. */
    static final String REVALIDATE = "revalidate";
    static final String ENABLE_HTTPS = "enable_https";
    static final String SOFT_LIMIT = "disk_use_limit_soft_p";
    static final String HARD_LIMIT = "disk_use_limit_hard_p";
    static final String CACHE_MAX_BYTES = "cache_max_bytes";
    static final String LOG_LEVEL = "log_level";
    static final String CONNECT_TIMEOUT = "upstream_connect_timeout_s";
    static final String READ_TIMEOUT = "upstream_read_timeout_s";
    static final String DISK_POLL_INTERVAL = "disk_poll_interval_s";
    static final String EVICTION_POLICY = "eviction_policy";
    static final String EXTERNAL_CACHE_DIRS = "external_cache_dirs";
    static final String ADMIN_LISTEN_ADDR = "admin_listen_addr";
    static final String ADMIN_LISTEN_PORT = "admin_listen_port";
    static final String ADMIN_ALLOW_DESTRUCTIVE = "admin_allow_destructive";
    static final String ALLOWED_UPSTREAMS = "allowed_upstreams";
    static final String PROXY_ID = "proxy_id";
    static final String MAX_CONCURRENT_REQUESTS = "max_concurrent_requests";
    static final String MAX_REQUESTS_PER_CLIENT = "max_requests_per_client";
    static final String MAX_UPSTREAM_CONNECTIONS = "max_upstream_connections";
    static final String CLIENT_IDLE_TIMEOUT = "client_idle_timeout_s";
    static final String CLIENT_HEADER_TIMEOUT = "client_header_timeout_s";
    static final String MEMORY_BUDGET_MB = "memory_budget_mb";

    /**
     * Every key that is read, validated and may be overridden. otaclient's {@code format_version},
     * {@code logging_server} and {@code logging_server_grpc} are deliberately absent: they mean nothing to the
     * proxy, and a mistake in otaclient's logging settings must not stop the proxy from taking an edit.
     */
    static final List<String> ALL = List.of(GATEWAY, ENABLE_OTA_PROXY, LOCAL_SERVER, UPPER_OTA_PROXY,
            ENABLE_LOCAL_OTA_PROXY, LISTEN_ADDR, LISTEN_PORT, ENABLE_CACHE, EXTERNAL_NFS_CACHE_MNT_POINT, CACHE_DIR,
            INIT_CACHE, ENABLE_HTTPS, SOFT_LIMIT, HARD_LIMIT, CACHE_MAX_BYTES, LOG_LEVEL, CONNECT_TIMEOUT,
            READ_TIMEOUT, DISK_POLL_INTERVAL, EVICTION_POLICY, EXTERNAL_CACHE_DIRS, FILL_ALWAYS_FINISH,
            ADMIN_LISTEN_ADDR, ADMIN_LISTEN_PORT, ADMIN_ALLOW_DESTRUCTIVE, ALLOWED_UPSTREAMS, PROXY_ID,
            MAX_CONCURRENT_REQUESTS, MAX_REQUESTS_PER_CLIENT, MAX_UPSTREAM_CONNECTIONS, CLIENT_IDLE_TIMEOUT,
            CLIENT_HEADER_TIMEOUT, MEMORY_BUDGET_MB, REVALIDATE);

    private YamlKeys() {
    }
}
