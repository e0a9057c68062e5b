package io.otaproxy.proxy.internal;

import java.util.Locale;
import java.util.Set;

/**
 * Which headers cross the proxy. Hop-by-hop headers (RFC 9110 §7.6.1) and any header a Connection header names
 * belong to one connection and are dropped in both directions; everything else is end-to-end and passes.
 */
final class HeaderPolicy {

    /** The OTA cache directive header; only meaningful to an upper ota-proxy. */
    static final String OTA_CACHE_CONTROL = "ota-file-cache-control";

    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection",
            "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade");

    /** Set by the proxy itself from the target or the body it sends. */
    private static final Set<String> REQUEST_OWN = Set.of("host", "content-length", "expect");

    private HeaderPolicy() {
    }

    /**
     * Whether a client request header goes upstream.
     *
     * @param connectionTokens lower-case header names listed in the request's Connection header
     * @param upperProxy       whether the request goes through an upper proxy
     */
    static boolean forwardRequestHeader(final String name, final Set<String> connectionTokens,
            final boolean upperProxy) {
        final String n = name.toLowerCase(Locale.ROOT);
        if (HOP_BY_HOP.contains(n) || REQUEST_OWN.contains(n) || connectionTokens.contains(n)) {
            return false;
        }
        return upperProxy || !n.equals(OTA_CACHE_CONTROL);
    }

    /** Range and conditional headers: dropped when the proxy fetches a whole body for the cache. */
    static boolean isPartialOrConditional(final String name) {
        final String n = name.toLowerCase(Locale.ROOT);
        return n.equals("range") || n.startsWith("if-");
    }

    /** Whether an upstream response header goes to the client (Content-Length is set separately). */
    static boolean forwardResponseHeader(final String name, final Set<String> connectionTokens) {
        final String n = name.toLowerCase(Locale.ROOT);
        return !HOP_BY_HOP.contains(n) && !n.equals("content-length") && !connectionTokens.contains(n);
    }

    /** The lower-case tokens of Connection header values, e.g. {@code close, x-foo} → {close, x-foo}. */
    static Set<String> connectionTokens(final Iterable<String> connectionValues) {
        final java.util.HashSet<String> tokens = new java.util.HashSet<>();
        for (final String value : connectionValues) {
            for (final String token : value.split(",")) {
                final String t = token.trim().toLowerCase(Locale.ROOT);
                if (!t.isEmpty()) {
                    tokens.add(t);
                }
            }
        }
        return tokens;
    }
}
