package io.otaproxy.proxy.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import io.otaproxy.proxy.internal.upstream.UpstreamHeaders;

/**
 * The response headers a cache entry keeps and replays: upstream's end-to-end headers (RFC 9110 §7.6.1), less those
 * the proxy sets itself from the entry (length, type, encoding, ranges, age) and those that belong to one client
 * ({@code Set-Cookie}). Kept as text, one {@code Name: value} per line, which is how the store holds them.
 */
final class StoredHeaders {

    /** Not kept: set from the entry on every answer, or meaningful to one exchange or one client only. */
    private static final Set<String> NOT_KEPT = Set.of("content-length", "content-type", "content-encoding",
            "content-range", "accept-ranges", "age", "set-cookie", "set-cookie2", HeaderPolicy.OTA_CACHE_CONTROL);

    private StoredHeaders() {
    }

    /** The headers of {@code headers} an entry keeps, as stored text; null when none. */
    static String of(final UpstreamHeaders headers) {
        final Set<String> connection = HeaderPolicy.connectionTokens(headers.values("Connection"));
        final StringBuilder kept = new StringBuilder();
        for (final Map.Entry<String, String> h : headers.all()) {
            final String name = h.getKey();
            if (HeaderPolicy.forwardResponseHeader(name, connection)
                    && !NOT_KEPT.contains(name.toLowerCase(Locale.ROOT)) && clean(name) && clean(h.getValue())) {
                if (kept.length() > 0) {
                    kept.append('\n');
                }
                kept.append(name).append(": ").append(h.getValue());
            }
        }
        return kept.length() == 0 ? null : kept.toString();
    }

    /** The stored headers as name and value pairs, in their order. */
    static List<Map.Entry<String, String>> parse(final String stored) {
        final List<Map.Entry<String, String>> fields = new ArrayList<>();
        if (stored == null) {
            return fields;
        }
        for (final String line : stored.split("\n")) {
            final int colon = line.indexOf(':');
            if (colon > 0) {
                fields.add(Map.entry(line.substring(0, colon), line.substring(colon + 1).strip()));
            }
        }
        return fields;
    }

    /** The first value of {@code name} (ignoring case), or null. */
    static String first(final String stored, final String name) {
        for (final Map.Entry<String, String> f : parse(stored)) {
            if (f.getKey().equalsIgnoreCase(name)) {
                return f.getValue();
            }
        }
        return null;
    }

    /** All values of {@code name}, joined by commas as one list value (RFC 9110 §5.3), or null when absent. */
    static String joined(final String stored, final String name) {
        String joined = null;
        for (final Map.Entry<String, String> f : parse(stored)) {
            if (f.getKey().equalsIgnoreCase(name)) {
                joined = joined == null ? f.getValue() : joined + ", " + f.getValue();
            }
        }
        return joined;
    }

    /**
     * The stored headers updated by those of a 304 that confirmed them (RFC 9111 §4.3.4): a field the 304 carries
     * replaces every stored field of its name; the others stay.
     */
    static String merge(final String stored, final String confirmed) {
        final List<Map.Entry<String, String>> fresh = parse(confirmed);
        final Set<String> replaced = new java.util.HashSet<>();
        for (final Map.Entry<String, String> f : fresh) {
            replaced.add(f.getKey().toLowerCase(Locale.ROOT));
        }
        final StringBuilder merged = new StringBuilder();
        for (final Map.Entry<String, String> f : parse(stored)) {
            if (!replaced.contains(f.getKey().toLowerCase(Locale.ROOT))) {
                line(merged, f);
            }
        }
        for (final Map.Entry<String, String> f : fresh) {
            line(merged, f);
        }
        return merged.length() == 0 ? null : merged.toString();
    }

    private static void line(final StringBuilder out, final Map.Entry<String, String> field) {
        if (out.length() > 0) {
            out.append('\n');
        }
        out.append(field.getKey()).append(": ").append(field.getValue());
    }

    /** No line breaks: a value that has one cannot be kept as one line (a parsed header never has). */
    private static boolean clean(final String text) {
        return text.indexOf('\n') < 0 && text.indexOf('\r') < 0;
    }
}
