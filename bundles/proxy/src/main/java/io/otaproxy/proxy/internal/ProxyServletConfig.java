package io.otaproxy.proxy.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the proxy servlet (PID {@code io.otaproxy.proxy}), written by the configuration bundle. */
@ObjectClassDefinition(id = "io.otaproxy.proxy", name = "ota-proxy: proxy servlet",
        description = "How ota-proxy reaches upstream servers and whom it serves. Normally written from"
                + " proxy_info.yml; a value set here wins over the file. An invalid configuration is refused whole.")
@interface ProxyServletConfig {

    @AttributeDefinition(name = "Upper proxy",
            description = "URL of an HTTP proxy to send every upstream request through, e.g. http://10.0.0.1:8082;"
                    + " empty for direct connections.")
    String upper_proxy() default "";

    @AttributeDefinition(name = "Upstream over https",
            description = "Fetch http:// targets from upstream over https. Never applied through an upper proxy.")
    boolean enable_https() default false;

    @AttributeDefinition(name = "Revalidate",
            description = "Ask upstream whether a cached URL still holds when the client asks for it (Cache-Control:"
                    + " no-cache or max-age=0, Pragma: no-cache) or the stored response has expired; a verified"
                    + " file_sha256 is never revalidated. Off: serve every entry until it is evicted, as the"
                    + " reference does.")
    boolean revalidate() default true;

    @AttributeDefinition(name = "Listen address",
            description = "The address the proxy listens on; requests addressed to it are answered with 400.")
    String listen_addr() default "0.0.0.0";

    @AttributeDefinition(name = "Listen port", min = "1", max = "65535", description = "The port the proxy listens on.")
    int listen_port() default 8082;

    @AttributeDefinition(name = "Upstream connect timeout (ms)", min = "1", max = "3600000", description = "Give up connecting after this long: 504.")
    int upstream_connect_timeout_ms() default 10_000;

    @AttributeDefinition(name = "Upstream read timeout (ms)", min = "1", max = "3600000",
            description = "Give up when upstream sends nothing for this long: 504 before the response, abort after.")
    int upstream_read_timeout_ms() default 16_000;

    @AttributeDefinition(name = "Allowed upstreams",
            description = "Where the proxy may fetch from: host[:ports], *.domain, an IP address or network"
                    + " (10.0.0.0/8, [fd00::]/8:443); ports are a number, low-high or *. Empty: anywhere."
                    + " Anything else is answered with 403.")
    String[] allowed_upstreams() default {};

    @AttributeDefinition(name = "Proxy id",
            description = "This proxy's name in the Via header it adds upstream; a request that already carries it"
                    + " has looped and is answered with 508. Empty: a random id per instance.")
    String proxy_id() default "";

    @AttributeDefinition(name = "Concurrent requests", min = "1", max = "1000000",
            description = "Requests served at once; one more is answered with 429 at once.")
    int max_concurrent_requests() default 1024;

    @AttributeDefinition(name = "Concurrent requests per client", min = "0", max = "1000000",
            description = "Requests served at once for one client address (429 beyond); 0: no limit of its own.")
    int max_requests_per_client() default 0;

    @AttributeDefinition(name = "Upstream connections", min = "0", max = "1000000",
            description = "Upstream connections open at once, idle pooled ones included; a request that finds none"
                    + " free within the connect timeout gets 503. 0: no limit.")
    int max_upstream_connections() default 256;

    @AttributeDefinition(name = "Request head deadline (ms)", min = "0", max = "3600000",
            description = "A new client connection that has not sent a complete request head this long after"
                    + " opening is closed, however slowly it keeps sending. 0: only the idle timeout applies.")
    int client_header_timeout_ms() default 30_000;

    @AttributeDefinition(name = "Memory budget (bytes)",
            description = "Memory that responses on their way to clients may hold, all together: two thirds for"
                    + " client write buffers (direct memory), one third for bodies relayed without the cache (heap)."
                    + " When it is spent, responses wait their turn and upstream is read no faster. At least 6 MiB.",
            min = "6291456")
    long memory_budget_bytes() default ProxyServlet.DEFAULT_MEMORY_BUDGET_BYTES;
}
