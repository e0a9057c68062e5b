package io.otaproxy.proxy.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the proxy servlet (PID {@code io.otaproxy.proxy}), written by the configuration bundle. */
@ObjectClassDefinition(name = "ota-proxy: proxy servlet",
        description = "How ota-proxy reaches upstream servers. Normally written from proxy_info.yml.")
@interface ProxyServletConfig {

    @AttributeDefinition(name = "Upper proxy",
            description = "URL of an HTTP proxy to send every upstream request through, e.g. http://10.0.0.1:8082;"
                    + " empty for direct connections.")
    String upper_proxy() default "";

    @AttributeDefinition(name = "Upstream over https",
            description = "Fetch http:// targets from upstream over https. Never applied through an upper proxy.")
    boolean enable_https() default false;

    @AttributeDefinition(name = "Cache enabled", description = "Serve and fill the disk cache.")
    boolean enable_cache() default true;

    @AttributeDefinition(name = "Listen address",
            description = "The address the proxy listens on; requests addressed to it are answered with 400.")
    String listen_addr() default "0.0.0.0";

    @AttributeDefinition(name = "Listen port", description = "The port the proxy listens on.")
    int listen_port() default 8082;

    @AttributeDefinition(name = "Upstream connect timeout (ms)", description = "Give up connecting after this long: 504.")
    int upstream_connect_timeout_ms() default 10_000;

    @AttributeDefinition(name = "Upstream read timeout (ms)",
            description = "Give up when upstream sends nothing for this long: 504 before the response, abort after.")
    int upstream_read_timeout_ms() default 16_000;
}
