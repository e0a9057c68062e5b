package io.otaproxy.proxy.internal;

import java.util.Locale;

/**
 * The upstream resource a client asked for: scheme, authority and the raw path and query exactly as the client
 * sent them. The path and query are never decoded or re-encoded, so upstream receives the same bytes.
 */
final class ProxyTarget {

    private final String scheme;
    private final String host;
    private final int port;
    private final String authority;
    private final String rawPath;
    private final String rawQuery;

    private ProxyTarget(final String scheme, final String host, final int port, final String authority,
            final String rawPath, final String rawQuery) {
        this.scheme = scheme;
        this.host = host;
        this.port = port;
        this.authority = authority;
        this.rawPath = rawPath;
        this.rawQuery = rawQuery;
    }

    /**
     * Builds the target from the parts of a parsed request line.
     *
     * @param scheme    {@code http} or {@code https}
     * @param authority {@code host[:port]} as the client wrote it (IPv6 literals in brackets)
     * @param rawPath   the path, still percent-encoded
     * @param rawQuery  the query without {@code ?}, still encoded, or null
     */
    static ProxyTarget of(final String scheme, final String authority, final String rawPath, final String rawQuery)
            throws BadRequestException {
        final String s = scheme == null ? "" : scheme.toLowerCase(Locale.ROOT);
        if (!s.equals("http") && !s.equals("https")) {
            throw new BadRequestException(400, "Unsupported scheme in request target: " + scheme);
        }
        if (authority == null || authority.isEmpty()) {
            throw new BadRequestException(400, "Request target has no host");
        }
        checkText(authority, "host");
        final String host;
        final String portText;
        if (authority.startsWith("[")) {
            final int close = authority.indexOf(']');
            if (close < 0) {
                throw new BadRequestException(400, "Invalid IPv6 host in request target");
            }
            host = authority.substring(0, close + 1);
            portText = authority.length() > close + 1 && authority.charAt(close + 1) == ':'
                    ? authority.substring(close + 2) : authority.length() > close + 1 ? null : "";
            if (portText == null) {
                throw new BadRequestException(400, "Invalid host in request target");
            }
        } else {
            final int colon = authority.lastIndexOf(':');
            host = colon < 0 ? authority : authority.substring(0, colon);
            portText = colon < 0 ? "" : authority.substring(colon + 1);
        }
        if (host.isEmpty() || host.indexOf('@') >= 0) {
            throw new BadRequestException(400, "Invalid host in request target");
        }
        final int port;
        if (portText.isEmpty()) {
            port = s.equals("https") ? 443 : 80;
        } else {
            try {
                port = Integer.parseInt(portText);
            } catch (final NumberFormatException e) {
                throw new BadRequestException(400, "Invalid port in request target");
            }
            if (port < 1 || port > 65535) {
                throw new BadRequestException(400, "Invalid port in request target");
            }
        }
        final String path = rawPath == null || rawPath.isEmpty() ? "/" : rawPath;
        if (path.charAt(0) != '/') {
            throw new BadRequestException(400, "Invalid path in request target");
        }
        checkText(path, "path");
        if (rawQuery != null) {
            checkText(rawQuery, "query");
        }
        return new ProxyTarget(s, host, port, authority, path, rawQuery);
    }

    /** Control characters and spaces can only come from a smuggling attempt; refuse them outright. */
    private static void checkText(final String text, final String what) throws BadRequestException {
        for (int i = 0; i < text.length(); i++) {
            final char c = text.charAt(i);
            if (c <= 0x20 || c == 0x7f) {
                throw new BadRequestException(400, "Invalid character in request " + what);
            }
        }
    }

    String scheme() {
        return scheme;
    }

    /** The host as written in the URL: a name, an IPv4 literal, or an IPv6 literal in brackets. */
    String host() {
        return host;
    }

    int port() {
        return port;
    }

    /** {@code host[:port]} exactly as the client sent it; this is what goes into the upstream Host header. */
    String authority() {
        return authority;
    }

    /** Path and query as sent, e.g. {@code /a%20b?x=1}. */
    String rawPathAndQuery() {
        return rawQuery == null ? rawPath : rawPath + '?' + rawQuery;
    }

    String rawPath() {
        return rawPath;
    }

    /** The same target with another scheme (the https upgrade); an explicit port is kept, a default one follows. */
    ProxyTarget withScheme(final String newScheme) {
        if (newScheme.equals(scheme)) {
            return this;
        }
        final int newPort = authority.equals(host) ? (newScheme.equals("https") ? 443 : 80) : port;
        return new ProxyTarget(newScheme, host, newPort, authority, rawPath, rawQuery);
    }

    /** The target as an absolute URL, for logs and for the cache key. */
    @Override
    public String toString() {
        return scheme + "://" + authority + rawPathAndQuery();
    }
}
