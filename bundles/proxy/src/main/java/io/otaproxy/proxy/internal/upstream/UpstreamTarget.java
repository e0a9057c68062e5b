package io.otaproxy.proxy.internal.upstream;

import java.util.Locale;
import java.util.Objects;

/**
 * Where a request goes: scheme, host, port, the authority for the Host header, and the raw path and query,
 * which the client sends byte-exact (as UTF-8) and never decodes or normalises.
 */
public final class UpstreamTarget {

    private final String scheme;
    private final String host;
    private final int port;
    private final String authority;
    private final String rawPathAndQuery;

    /**
     * @param scheme          {@code http} or {@code https} (any case)
     * @param host            host as in the URL; an IPv6 literal in brackets
     * @param port            port to connect to
     * @param authority       {@code host[:port]} exactly as it should appear in the Host header
     * @param rawPathAndQuery opaque, starts with {@code /}; no spaces or control characters
     * @throws IllegalArgumentException on any invalid part, including CR/LF/NUL anywhere
     */
    public UpstreamTarget(final String scheme, final String host, final int port, final String authority,
            final String rawPathAndQuery) {
        this.scheme = checkScheme(scheme);
        this.host = checkHost(host);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        this.port = port;
        this.authority = checkAuthority(authority);
        this.rawPathAndQuery = checkPathAndQuery(rawPathAndQuery);
    }

    /** Target from a scheme, an authority ({@code host[:port]}, port defaulting per scheme) and a raw path. */
    public static UpstreamTarget of(final String scheme, final String authority, final String rawPathAndQuery) {
        final String s = checkScheme(scheme);
        checkAuthority(authority);
        final String host;
        final String portText;
        if (authority.startsWith("[")) {
            final int close = authority.indexOf(']');
            if (close < 0 || (close + 1 < authority.length() && authority.charAt(close + 1) != ':')) {
                throw new IllegalArgumentException("invalid IPv6 authority: " + authority);
            }
            host = authority.substring(0, close + 1);
            portText = close + 1 < authority.length() ? authority.substring(close + 2) : "";
        } else {
            final int colon = authority.lastIndexOf(':');
            host = colon < 0 ? authority : authority.substring(0, colon);
            portText = colon < 0 ? "" : authority.substring(colon + 1);
        }
        final int port;
        if (portText.isEmpty()) {
            port = defaultPort(s);
        } else {
            if (portText.length() > 5 || !portText.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new IllegalArgumentException("invalid port in authority: " + authority);
            }
            port = Integer.parseInt(portText);
        }
        return new UpstreamTarget(s, host, port, authority, rawPathAndQuery);
    }

    /**
     * Target from an absolute URL such as {@code http://host:8080/a%20b?x}, split textually so the path and
     * query stay exactly as written. An empty path becomes {@code /}.
     */
    public static UpstreamTarget parse(final String absoluteUrl) {
        final int sep = absoluteUrl.indexOf("://");
        if (sep <= 0) {
            throw new IllegalArgumentException("not an absolute http(s) URL: " + absoluteUrl);
        }
        final int authorityStart = sep + 3;
        int end = absoluteUrl.length();
        for (int i = authorityStart; i < absoluteUrl.length(); i++) {
            final char c = absoluteUrl.charAt(i);
            if (c == '/' || c == '?') {
                end = i;
                break;
            }
        }
        final String rest = absoluteUrl.substring(end);
        final String pathAndQuery = rest.isEmpty() ? "/" : rest.charAt(0) == '?' ? "/" + rest : rest;
        return of(absoluteUrl.substring(0, sep), absoluteUrl.substring(authorityStart, end), pathAndQuery);
    }

    /** Lower-case {@code http} or {@code https}. */
    public String scheme() {
        return scheme;
    }

    public boolean secure() {
        return scheme.equals("https");
    }

    /** Host as in the URL; IPv6 literals keep their brackets. */
    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    /** {@code host[:port]} for the Host header and the absolute form. */
    public String authority() {
        return authority;
    }

    /** Path and query exactly as they go on the request line. */
    public String rawPathAndQuery() {
        return rawPathAndQuery;
    }

    /** {@code scheme://authority/raw...}: the absolute form sent to an upper proxy. */
    public String toUrl() {
        return scheme + "://" + authority + rawPathAndQuery;
    }

    /** Same scheme, host and port: credentials may follow a redirect only within one origin. */
    boolean sameOrigin(final UpstreamTarget other) {
        return scheme.equals(other.scheme) && host.equalsIgnoreCase(other.host) && port == other.port;
    }

    static int defaultPort(final String scheme) {
        return scheme.equals("https") ? 443 : 80;
    }

    private static String checkScheme(final String scheme) {
        final String s = scheme == null ? "" : scheme.toLowerCase(Locale.ROOT);
        if (!s.equals("http") && !s.equals("https")) {
            throw new IllegalArgumentException("unsupported scheme: " + scheme);
        }
        return s;
    }

    private static String checkHost(final String host) {
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("empty host");
        }
        if (host.startsWith("[")) {
            if (!host.endsWith("]") || host.length() < 3) {
                throw new IllegalArgumentException("invalid IPv6 host: " + printable(host));
            }
            for (int i = 1; i < host.length() - 1; i++) {
                final char c = host.charAt(i);
                if (!(isAlnum(c) || c == ':' || c == '.' || c == '%' || c == '-' || c == '_' || c == '~')) {
                    throw new IllegalArgumentException("invalid character in IPv6 host: " + printable(host));
                }
            }
            return host;
        }
        for (int i = 0; i < host.length(); i++) {
            if (!isRegNameChar(host.charAt(i))) {
                throw new IllegalArgumentException("invalid character in host: " + printable(host));
            }
        }
        return host;
    }

    private static String checkAuthority(final String authority) {
        if (authority == null || authority.isEmpty()) {
            throw new IllegalArgumentException("empty authority");
        }
        if (authority.indexOf('@') >= 0) {
            throw new IllegalArgumentException("user info in authority is not allowed: " + printable(authority));
        }
        for (int i = 0; i < authority.length(); i++) {
            final char c = authority.charAt(i);
            if (!(isRegNameChar(c) || c == ':' || c == '[' || c == ']')) {
                throw new IllegalArgumentException("invalid character in authority: " + printable(authority));
            }
        }
        return authority;
    }

    /** Opaque, but nothing that could end the request line early or be mangled when encoded as UTF-8. */
    private static String checkPathAndQuery(final String raw) {
        if (raw == null || raw.isEmpty() || raw.charAt(0) != '/') {
            throw new IllegalArgumentException("request path must start with '/': " + printable(raw));
        }
        for (int i = 0; i < raw.length(); i++) {
            final char c = raw.charAt(i);
            if (c == ' ' || Character.isISOControl(c)) {
                throw new IllegalArgumentException("space or control character in request path: " + printable(raw));
            }
            if (Character.isHighSurrogate(c) && i + 1 < raw.length() && Character.isLowSurrogate(raw.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                // an unpaired surrogate would silently turn into '?' when encoded
                throw new IllegalArgumentException("unpaired surrogate in request path: " + printable(raw));
            }
        }
        return raw;
    }

    private static boolean isAlnum(final char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    /** RFC 3986 reg-name: unreserved, sub-delims and percent escapes. */
    private static boolean isRegNameChar(final char c) {
        return isAlnum(c) || "-._~%!$&'()*+,;=".indexOf(c) >= 0;
    }

    /** For messages: control characters made visible so a log line cannot be forged. */
    static String printable(final String s) {
        if (s == null) {
            return "null";
        }
        final StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            if (Character.isISOControl(c)) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    @Override
    public boolean equals(final Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof UpstreamTarget)) {
            return false;
        }
        final UpstreamTarget t = (UpstreamTarget) o;
        return port == t.port && scheme.equals(t.scheme) && host.equals(t.host) && authority.equals(t.authority)
                && rawPathAndQuery.equals(t.rawPathAndQuery);
    }

    @Override
    public int hashCode() {
        return Objects.hash(scheme, host, port, authority, rawPathAndQuery);
    }

    @Override
    public String toString() {
        return toUrl();
    }
}
