package io.otaproxy.proxy.internal.upstream;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Turns a redirect's Location into the next target, or null when it cannot or should not be followed. */
final class RedirectResolver {

    private static final Set<Integer> FOLLOWED = Set.of(301, 302, 303, 307, 308);
    /** Credentials are for the origin that asked for them, not for wherever it redirects to. */
    private static final Set<String> ORIGIN_CREDENTIALS = Set.of("authorization", "cookie");
    private static final String HEX = "0123456789ABCDEF";

    private RedirectResolver() {
    }

    static boolean isFollowed(final int status) {
        return FOLLOWED.contains(status);
    }

    /** The Location resolved against the current target with java.net.URI; null if absent, invalid or not http(s). */
    static UpstreamTarget resolve(final UpstreamTarget current, final String location) {
        if (location == null || location.isBlank()) {
            return null;
        }
        final URI resolved;
        try {
            final URI reference = new URI(location.strip());
            resolved = baseUri(current).resolve(reference);
        } catch (final URISyntaxException | IllegalArgumentException e) {
            return null;
        }
        final String scheme = resolved.getScheme();
        if (scheme == null || resolved.isOpaque()) {
            return null;
        }
        final String s = scheme.toLowerCase(Locale.ROOT);
        if (!s.equals("http") && !s.equals("https")) {
            return null;
        }
        String authority = resolved.getRawAuthority();
        if (authority == null) {
            return null;
        }
        final int at = authority.lastIndexOf('@');
        if (at >= 0) {
            // never forward user info into a Host header
            authority = authority.substring(at + 1);
        }
        final String path = resolved.getRawPath() == null || resolved.getRawPath().isEmpty() ? "/" : resolved.getRawPath();
        final String query = resolved.getRawQuery();
        try {
            return UpstreamTarget.of(s, authority, query == null ? path : path + "?" + query);
        } catch (final IllegalArgumentException e) {
            return null;
        }
    }

    /** Request headers for the next hop: all of them within one origin, without credentials across origins. */
    static List<Map.Entry<String, String>> headersFor(final UpstreamTarget from, final UpstreamTarget to,
            final List<Map.Entry<String, String>> headers) {
        if (from.sameOrigin(to)) {
            return headers;
        }
        final List<Map.Entry<String, String>> kept = new ArrayList<>(headers.size());
        for (final Map.Entry<String, String> h : headers) {
            if (!ORIGIN_CREDENTIALS.contains(h.getKey().toLowerCase(Locale.ROOT))) {
                kept.add(h);
            }
        }
        return kept;
    }

    /**
     * The current target as a java.net.URI. Raw targets may hold characters URI refuses (e.g. {@code [ ]} in a
     * path); those are escaped here, which only matters for relative Locations.
     */
    private static URI baseUri(final UpstreamTarget current) throws URISyntaxException {
        try {
            return new URI(current.toUrl());
        } catch (final URISyntaxException e) {
            return new URI(current.scheme() + "://" + current.authority() + escapeForUri(current.rawPathAndQuery()));
        }
    }

    private static String escapeForUri(final String raw) {
        final StringBuilder b = new StringBuilder(raw.length() + 16);
        for (int i = 0; i < raw.length(); i++) {
            final char c = raw.charAt(i);
            final boolean validEscape = c == '%' && i + 2 < raw.length() && isHex(raw.charAt(i + 1)) && isHex(raw.charAt(i + 2));
            if (c > 0x7F || validEscape || isUriPathOrQueryChar(c)) {
                b.append(c);
            } else {
                b.append('%').append(HEX.charAt(c >> 4)).append(HEX.charAt(c & 0xF));
            }
        }
        return b.toString();
    }

    private static boolean isUriPathOrQueryChar(final char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "-_.!~*'();/?:@&=+$,".indexOf(c) >= 0;
    }

    private static boolean isHex(final char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }
}
