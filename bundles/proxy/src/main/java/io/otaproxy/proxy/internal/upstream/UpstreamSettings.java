package io.otaproxy.proxy.internal.upstream;

import java.net.URI;
import java.net.URISyntaxException;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;

/**
 * How the {@link UpstreamClient} reaches upstream: optional upper proxy, timeouts, redirect limit, TLS and
 * connection pooling. Immutable; equal settings mean an existing client can be kept.
 */
public final class UpstreamSettings {

    public static final int DEFAULT_CONNECT_TIMEOUT_MILLIS = 10_000;
    public static final int DEFAULT_READ_TIMEOUT_MILLIS = 30_000;
    public static final int DEFAULT_MAX_REDIRECTS = 10;
    public static final int DEFAULT_MAX_IDLE_PER_ROUTE = 16;
    public static final long DEFAULT_KEEP_ALIVE_MILLIS = 30_000;

    private final String upperProxyHost;
    private final int upperProxyPort;
    private final int connectTimeoutMillis;
    private final int readTimeoutMillis;
    private final int maxRedirects;
    /** Null means the JVM default; kept null so that two default settings compare equal. */
    private final SSLSocketFactory sslSocketFactory;
    private final int maxIdlePerRoute;
    private final long keepAliveMillis;
    private final int maxConnections;
    private final ConnectGuard guard;

    private UpstreamSettings(final Builder b) {
        this.upperProxyHost = b.upperProxyHost;
        this.upperProxyPort = b.upperProxyPort;
        this.connectTimeoutMillis = b.connectTimeoutMillis;
        this.readTimeoutMillis = b.readTimeoutMillis;
        this.maxRedirects = b.maxRedirects;
        this.sslSocketFactory = b.sslSocketFactory;
        this.maxIdlePerRoute = b.maxIdlePerRoute;
        this.keepAliveMillis = b.keepAliveMillis;
        this.maxConnections = b.maxConnections;
        this.guard = b.guard;
    }

    /** Direct connections and all defaults. */
    public static UpstreamSettings defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder preset with these settings. */
    public Builder toBuilder() {
        final Builder b = new Builder();
        b.upperProxyHost = upperProxyHost;
        b.upperProxyPort = upperProxyPort;
        b.connectTimeoutMillis = connectTimeoutMillis;
        b.readTimeoutMillis = readTimeoutMillis;
        b.maxRedirects = maxRedirects;
        b.sslSocketFactory = sslSocketFactory;
        b.maxIdlePerRoute = maxIdlePerRoute;
        b.keepAliveMillis = keepAliveMillis;
        b.maxConnections = maxConnections;
        b.guard = guard;
        return b;
    }

    public boolean hasUpperProxy() {
        return upperProxyHost != null;
    }

    /** Upper proxy host as in its URL (IPv6 literal in brackets), or null for direct connections. */
    public String upperProxyHost() {
        return upperProxyHost;
    }

    /** Upper proxy port, or -1 for direct connections. */
    public int upperProxyPort() {
        return upperProxyPort;
    }

    /** Connect timeout in milliseconds; 0 means wait as long as the OS does. */
    public int connectTimeoutMillis() {
        return connectTimeoutMillis;
    }

    /** Idle read timeout (SO_TIMEOUT) in milliseconds; 0 means none. */
    public int readTimeoutMillis() {
        return readTimeoutMillis;
    }

    /** Redirects followed per request; 0 returns every 3xx as is. */
    public int maxRedirects() {
        return maxRedirects;
    }

    /** TLS socket factory for https targets; by default the JVM's, i.e. its trust store. */
    public SSLSocketFactory sslSocketFactory() {
        return sslSocketFactory != null ? sslSocketFactory : DefaultTls.FACTORY;
    }

    /** Idle keep-alive connections kept per route; 0 disables pooling. */
    public int maxIdlePerRoute() {
        return maxIdlePerRoute;
    }

    /** How long an idle pooled connection may be reused. */
    public long keepAliveMillis() {
        return keepAliveMillis;
    }

    /** Upstream connections open at once (idle pooled ones included); 0 means no limit. */
    public int maxConnections() {
        return maxConnections;
    }

    /** Where requests may go; {@link ConnectGuard#NONE} by default. */
    public ConnectGuard guard() {
        return guard;
    }

    @Override
    public boolean equals(final Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof UpstreamSettings)) {
            return false;
        }
        final UpstreamSettings other = (UpstreamSettings) o;
        return Objects.equals(upperProxyHost, other.upperProxyHost) && upperProxyPort == other.upperProxyPort
                && connectTimeoutMillis == other.connectTimeoutMillis && readTimeoutMillis == other.readTimeoutMillis
                && maxRedirects == other.maxRedirects && sslSocketFactory == other.sslSocketFactory
                && maxIdlePerRoute == other.maxIdlePerRoute && keepAliveMillis == other.keepAliveMillis
                && maxConnections == other.maxConnections && guard == other.guard;
    }

    @Override
    public int hashCode() {
        return Objects.hash(upperProxyHost, upperProxyPort, connectTimeoutMillis, readTimeoutMillis, maxRedirects,
                System.identityHashCode(sslSocketFactory), maxIdlePerRoute, keepAliveMillis, maxConnections,
                System.identityHashCode(guard));
    }

    @Override
    public String toString() {
        return "UpstreamSettings[" + (hasUpperProxy() ? "via " + upperProxyHost + ":" + upperProxyPort : "direct")
                + ", connect " + connectTimeoutMillis + " ms, read " + readTimeoutMillis + " ms, redirects "
                + maxRedirects + ", idle " + maxIdlePerRoute + "/route for " + keepAliveMillis + " ms"
                + (maxConnections > 0 ? ", at most " + maxConnections + " connections" : "")
                + (sslSocketFactory == null ? "" : ", custom TLS") + "]";
    }

    /** Resolved on first https use only, so a broken JVM trust store does not break plain-http setups. */
    private static final class DefaultTls {
        static final SSLSocketFactory FACTORY = load();

        private static SSLSocketFactory load() {
            try {
                return SSLContext.getDefault().getSocketFactory();
            } catch (final NoSuchAlgorithmException e) {
                throw new IllegalStateException("JVM has no default TLS context", e);
            }
        }
    }

    /** Collects settings; every value starts at its default. */
    public static final class Builder {
        private String upperProxyHost;
        private int upperProxyPort = -1;
        private int connectTimeoutMillis = DEFAULT_CONNECT_TIMEOUT_MILLIS;
        private int readTimeoutMillis = DEFAULT_READ_TIMEOUT_MILLIS;
        private int maxRedirects = DEFAULT_MAX_REDIRECTS;
        private SSLSocketFactory sslSocketFactory;
        private int maxIdlePerRoute = DEFAULT_MAX_IDLE_PER_ROUTE;
        private long keepAliveMillis = DEFAULT_KEEP_ALIVE_MILLIS;
        private int maxConnections;
        private ConnectGuard guard = ConnectGuard.NONE;

        private Builder() {
        }

        /** At most this many upstream connections open at once; 0 (the default) means no limit. */
        public Builder maxConnections(final int value) {
            if (value < 0) {
                throw new IllegalArgumentException("maxConnections must be >= 0: " + value);
            }
            maxConnections = value;
            return this;
        }

        /** Checks every target and every resolved address before use. */
        public Builder guard(final ConnectGuard value) {
            guard = value == null ? ConnectGuard.NONE : value;
            return this;
        }

        /**
         * Sends every request through this HTTP proxy, given as {@code http://host[:port]} (port defaults to 80).
         * Null or blank means direct connections.
         *
         * @throws IllegalArgumentException if it is not such a URL
         */
        public Builder upperProxy(final String url) {
            if (url == null || url.isBlank()) {
                upperProxyHost = null;
                upperProxyPort = -1;
                return this;
            }
            final String text = url.strip();
            final URI uri;
            try {
                uri = new URI(text);
            } catch (final URISyntaxException e) {
                throw new IllegalArgumentException(
                        "upper proxy must be a URL like http://10.0.0.1:8082, got '" + url + "': " + e.getMessage());
            }
            if (uri.getScheme() == null || !uri.getScheme().equalsIgnoreCase("http")) {
                throw new IllegalArgumentException(
                        "upper proxy URL must use the http scheme, like http://10.0.0.1:8082, got '" + url + "'");
            }
            if (uri.getHost() == null) {
                throw new IllegalArgumentException("upper proxy URL has no valid host: '" + url + "'");
            }
            if (uri.getRawUserInfo() != null) {
                throw new IllegalArgumentException("credentials in the upper proxy URL are not supported: '" + url + "'");
            }
            final String path = uri.getRawPath();
            if ((path != null && !path.isEmpty() && !path.equals("/")) || uri.getRawQuery() != null
                    || uri.getRawFragment() != null) {
                throw new IllegalArgumentException(
                        "upper proxy URL must not have a path, query or fragment: '" + url + "'");
            }
            return upperProxy(uri.getHost(), uri.getPort() < 0 ? 80 : uri.getPort());
        }

        /** Sends every request through the HTTP proxy at this host (IPv6 literal in brackets) and port. */
        public Builder upperProxy(final String host, final int port) {
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("upper proxy host is empty");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("upper proxy port out of range: " + port);
            }
            upperProxyHost = host;
            upperProxyPort = port;
            return this;
        }

        /** Connects directly to every target. */
        public Builder noUpperProxy() {
            return upperProxy(null);
        }

        public Builder connectTimeoutMillis(final int millis) {
            connectTimeoutMillis = requireNonNegative(millis, "connect timeout");
            return this;
        }

        public Builder readTimeoutMillis(final int millis) {
            readTimeoutMillis = requireNonNegative(millis, "read timeout");
            return this;
        }

        public Builder maxRedirects(final int max) {
            maxRedirects = requireNonNegative(max, "max redirects");
            return this;
        }

        /** TLS factory for https targets; null restores the JVM default. */
        public Builder sslSocketFactory(final SSLSocketFactory factory) {
            sslSocketFactory = factory;
            return this;
        }

        public Builder maxIdlePerRoute(final int max) {
            maxIdlePerRoute = requireNonNegative(max, "max idle connections per route");
            return this;
        }

        public Builder keepAliveMillis(final long millis) {
            if (millis < 0) {
                throw new IllegalArgumentException("keep-alive time must not be negative: " + millis);
            }
            keepAliveMillis = millis;
            return this;
        }

        public UpstreamSettings build() {
            return new UpstreamSettings(this);
        }

        private static int requireNonNegative(final int value, final String what) {
            if (value < 0) {
                throw new IllegalArgumentException(what + " must not be negative: " + value);
            }
            return value;
        }
    }
}
