package io.otaproxy.config.internal;

/**
 * The PIDs and property names this bundle publishes to ConfigAdmin; the consuming bundles use the same strings in
 * their {@code @ObjectClassDefinition}s (DS maps a method {@code upper_proxy()} to the property {@code upper.proxy}).
 */
final class ConfigKeys {

    /** The proxy servlet: upstream, https rewriting, timeouts, and where it listens. */
    static final String PROXY_PID = "io.otaproxy.proxy";
    static final String PROXY_UPPER_PROXY = "upper.proxy";
    static final String PROXY_ENABLE_HTTPS = "enable.https";
    /** Whether URL-keyed entries are revalidated with upstream when HTTP asks for it. */
    static final String PROXY_REVALIDATE = "revalidate";
    static final String PROXY_LISTEN_ADDR = "listen.addr";
    static final String PROXY_LISTEN_PORT = "listen.port";
    static final String PROXY_CONNECT_TIMEOUT_MS = "upstream.connect.timeout.ms";
    static final String PROXY_READ_TIMEOUT_MS = "upstream.read.timeout.ms";
    /** Where the proxy may connect: host, port and CIDR rules; empty means anywhere. */
    static final String PROXY_ALLOWED_UPSTREAMS = "allowed.upstreams";
    /** The name this proxy puts in Via and recognises its own loops by; "" lets the proxy pick one per instance. */
    static final String PROXY_ID = "proxy.id";
    static final String PROXY_MAX_CONCURRENT_REQUESTS = "max.concurrent.requests";
    static final String PROXY_MAX_REQUESTS_PER_CLIENT = "max.requests.per.client";
    static final String PROXY_MAX_UPSTREAM_CONNECTIONS = "max.upstream.connections";
    /** The memory the proxy's responses may hold together: client write buffers and bodies relayed without cache. */
    static final String PROXY_MEMORY_BUDGET_BYTES = "memory.budget.bytes";
    /** How long a new client connection may take to send its first complete request head. */
    static final String PROXY_CLIENT_HEADER_TIMEOUT_MS = "client.header.timeout.ms";

    /** The cache store. */
    static final String CACHE_PID = "io.otaproxy.cache";
    static final String CACHE_DIR = "cache.dir";
    static final String CACHE_ENABLE = "enable.cache";
    /** The launch id to wipe the cache for once, or "" for no wipe; a bundle update keeps the id, so no second wipe. */
    static final String CACHE_INIT_ID = "init.cache.id";
    /** Read-only cache mount points, each holding {@code data/<sha256>[.zst]} as the reference's external caches. */
    static final String CACHE_EXTERNAL_DIRS = "external.cache.dirs";
    /** Keep downloading a fill when every client has gone. */
    static final String CACHE_FILL_ALWAYS_FINISH = "fill.always.finish";
    /** The memory the relay windows of downloads that stopped writing to disk may hold together. */
    static final String CACHE_RELAY_MEMORY_BYTES = "relay.memory.bytes";
    /** Which registered eviction policy (service property {@code policy}) the cache store uses. */
    static final String CACHE_EVICTION_POLICY = "eviction.policy";

    /** The disk monitor; the directory it watches is the cache store's {@link #CACHE_DIR}. */
    static final String DISK_PID = "io.otaproxy.disk";
    static final String DISK_SOFT_LIMIT_PERCENT = "soft.limit.percent";
    static final String DISK_HARD_LIMIT_PERCENT = "hard.limit.percent";
    /** Cap on the cache's own size in bytes; 0 when there is none. */
    static final String DISK_CACHE_MAX_BYTES = "cache.max.bytes";
    static final String DISK_POLL_INTERVAL_MS = "poll.interval.ms";

    /** The log level, for whichever bundle takes charge of logging. */
    static final String LOGGING_PID = "io.otaproxy.logging";
    static final String LOGGING_LEVEL = "log.level";

    /** The admin endpoint: whether purge and evict may be run. */
    static final String ADMIN_PID = "io.otaproxy.admin";
    static final String ADMIN_ALLOW_DESTRUCTIVE = "allow.destructive";

    /** The Felix HTTP service's factory configuration for the proxy's own listener. */
    static final String HTTP_FACTORY_PID = "org.apache.felix.http";
    static final String HTTP_CONFIG_NAME = "otaproxy";
    /** The factory configuration name of the admin endpoint's own listener. */
    static final String ADMIN_HTTP_CONFIG_NAME = "otaproxy-admin";
    static final String HTTP_NAME = "org.apache.felix.http.name";
    static final String HTTP_HOST = "org.apache.felix.http.host";
    static final String HTTP_PORT = "org.osgi.service.http.port";
    static final String HTTP_ENABLE = "org.apache.felix.http.enable";
    static final String HTTPS_ENABLE = "org.apache.felix.https.enable";
    static final String HTTP_URI_COMPLIANCE = "org.eclipse.jetty.UriComplianceMode";
    static final String HTTP_RESPONSE_BUFFER_SIZE = "org.apache.felix.http.jetty.responseBufferSize";
    static final String HTTP_SEND_SERVER_HEADER = "org.apache.felix.http.jetty.sendServerHeader";
    static final String HTTP_TIMEOUT = "org.apache.felix.http.timeout";
    static final String HTTP_HEADER_BUFFER_SIZE = "org.apache.felix.http.jetty.headerBufferSize";
    static final String HTTP_REQUEST_BUFFER_SIZE = "org.apache.felix.http.jetty.requestBufferSize";
    static final String HTTP_THREADPOOL_MAX = "org.apache.felix.http.jetty.threadpool.max";

    /** Framework property: the path of proxy_info.yml; absent means embedded defaults only. */
    static final String FRAMEWORK_CONFIG_FILE = "otaproxy.config";
    /** Framework property: how often to look at the file, in milliseconds. */
    static final String FRAMEWORK_POLL_MS = "otaproxy.config.poll.ms";
    /** Prefix of framework properties that override one YAML key each, as command-line flags do. */
    static final String FRAMEWORK_OVERRIDE_PREFIX = "otaproxy.override.";

    private ConfigKeys() {
    }
}
