package io.otaproxy.proxy.internal.upstream;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A bodiless GET or HEAD for upstream: target plus the end-to-end headers to send, in order. The client adds
 * only {@code Host}; hop-by-hop headers must already be filtered out by the caller.
 */
public final class UpstreamRequest {

    /** Headers the client derives itself (Host from the target; no body, so no length or coding). */
    private static final Set<String> CLIENT_OWNED = Set.of("host", "content-length", "transfer-encoding");

    private final String method;
    private final UpstreamTarget target;
    private final List<Map.Entry<String, String>> headers;

    /**
     * @param method  {@code GET} or {@code HEAD}
     * @param headers name/value pairs in send order; no Host, Content-Length or Transfer-Encoding
     * @throws IllegalArgumentException for another method, a header with CR, LF or NUL (request smuggling),
     *                                  a name that is not an HTTP token, a value beyond ISO-8859-1, or a
     *                                  client-owned header
     */
    public UpstreamRequest(final String method, final UpstreamTarget target,
            final List<? extends Map.Entry<String, String>> headers) {
        if (!"GET".equals(method) && !"HEAD".equals(method)) {
            throw new IllegalArgumentException("only GET and HEAD go upstream, not " + UpstreamTarget.printable(method));
        }
        this.method = method;
        this.target = Objects.requireNonNull(target, "target");
        final List<Map.Entry<String, String>> copy = new ArrayList<>(headers.size());
        for (final Map.Entry<String, String> h : headers) {
            final String name = h.getKey();
            final String value = h.getValue();
            checkName(name);
            checkValue(name, value);
            if (CLIENT_OWNED.contains(name.toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException("header " + name + " is set by the upstream client, do not pass it");
            }
            copy.add(Map.entry(name, value));
        }
        this.headers = Collections.unmodifiableList(copy);
    }

    /** A request without headers. */
    public UpstreamRequest(final String method, final UpstreamTarget target) {
        this(method, target, List.of());
    }

    /** Whether the client sets this header itself, so a caller must not pass it. */
    public static boolean isClientOwnedHeader(final String name) {
        return CLIENT_OWNED.contains(name.toLowerCase(Locale.ROOT));
    }

    public String method() {
        return method;
    }

    public boolean isHead() {
        return method.equals("HEAD");
    }

    public UpstreamTarget target() {
        return target;
    }

    /** Headers as given, in order (immutable). */
    public List<Map.Entry<String, String>> headers() {
        return headers;
    }

    /** Same method and headers for another target (a redirect). */
    UpstreamRequest withTarget(final UpstreamTarget newTarget, final List<Map.Entry<String, String>> newHeaders) {
        return new UpstreamRequest(method, newTarget, newHeaders);
    }

    private static void checkName(final String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("empty header name");
        }
        for (int i = 0; i < name.length(); i++) {
            if (!isTokenChar(name.charAt(i))) {
                throw new IllegalArgumentException("invalid character in header name: " + UpstreamTarget.printable(name));
            }
        }
    }

    private static void checkValue(final String name, final String value) {
        if (value == null) {
            throw new IllegalArgumentException("null value for header " + name);
        }
        for (int i = 0; i < value.length(); i++) {
            final char c = value.charAt(i);
            if (c == '\r' || c == '\n' || c == '\0') {
                throw new IllegalArgumentException("CR, LF or NUL in value of header " + name);
            }
            if (c > 0xFF) {
                // header bytes are ISO-8859-1 on the wire; anything else cannot be sent faithfully
                throw new IllegalArgumentException("non ISO-8859-1 character in value of header " + name);
            }
        }
    }

    private static boolean isTokenChar(final char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }

    @Override
    public String toString() {
        return method + " " + target;
    }
}
