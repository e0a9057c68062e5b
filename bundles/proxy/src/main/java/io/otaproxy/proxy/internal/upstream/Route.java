package io.otaproxy.proxy.internal.upstream;

/**
 * The TCP (and maybe TLS) endpoint a connection goes to: the upper proxy, or the target's scheme, host and
 * port. Connections are pooled per route.
 *
 * @param tls  whether TLS runs on the connection
 * @param host host as in a URL (IPv6 literal in brackets)
 * @param port TCP port
 */
record Route(boolean tls, String host, int port) {

    /** Host as the resolver wants it: IPv6 without brackets. */
    String bareHost() {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    @Override
    public String toString() {
        return (tls ? "https://" : "http://") + host + ":" + port;
    }
}
