package io.otaproxy.proxy.internal;

import java.util.Collections;
import java.util.Locale;

import jakarta.servlet.http.HttpServletRequest;

import io.otaproxy.api.cache.EntryMeta;

/**
 * Responses that vary (RFC 9111 §4.1): a stored response answers only requests whose headers named by its
 * {@code Vary} have the values of the request it was fetched for. Those values are kept with the entry as its
 * variant: {@code name=value} per named header ({@code name} alone when absent), values without spaces and in
 * lower case, so that {@code gzip, br} and {@code gzip,br} select the same response.
 */
final class Variants {

    /** The variant of a {@code Vary: *} response: it never matches, so such a response is never stored. */
    static final String ANY = "*";

    private Variants() {
    }

    /** The request's variant for a response with this Vary value; null when there is no Vary. */
    static String of(final String vary, final HttpServletRequest request) {
        if (vary == null || vary.isBlank()) {
            return null;
        }
        final StringBuilder variant = new StringBuilder();
        for (final String raw : vary.split(",")) {
            final String name = raw.strip().toLowerCase(Locale.ROOT);
            if (name.isEmpty()) {
                continue;
            }
            if (name.equals("*")) {
                return ANY;
            }
            if (variant.length() > 0) {
                variant.append('\n');
            }
            variant.append(name);
            final java.util.List<String> values = Collections.list(request.getHeaders(name));
            if (!values.isEmpty()) {
                variant.append('=').append(normalized(String.join(",", values)));
            }
        }
        return variant.length() == 0 ? null : variant.toString();
    }

    /** Whether the entry answers this request: it does not vary, or the request is of its variant. */
    static boolean matches(final EntryMeta meta, final HttpServletRequest request) {
        if (meta.variant() == null) {
            return true;
        }
        return meta.variant().equals(of(StoredHeaders.joined(meta.headers(), "Vary"), request));
    }

    /** The key of the request's variant of a URL whose responses vary. */
    static String key(final String urlKey, final String variant) {
        return CacheKeys.sha256Hex("variant:" + urlKey + "\n" + variant);
    }

    private static String normalized(final String value) {
        final StringBuilder out = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            final char c = value.charAt(i);
            if (c != ' ' && c != '\t') {
                out.append(Character.toLowerCase(c));
            }
        }
        return out.toString();
    }
}
