package io.otaproxy.proxy.internal;

import jakarta.servlet.http.HttpServletRequest;

import io.otaproxy.api.cache.EntryMeta;

/**
 * Whether a URL-keyed entry may be served without asking upstream (RFC 9111 §4.2). An entry is fresh unless the
 * client asks for a revalidation ({@code no-cache}, a {@code max-age} it is older than, or {@code Pragma: no-cache}
 * without Cache-Control), or the stored response says so ({@code no-cache}, or an explicit lifetime —
 * {@code s-maxage}, {@code max-age}, {@code Expires} — that has passed). A response without an explicit lifetime
 * stays fresh: OTA servers send none, and a heuristic expiry would only send cars asking upstream.
 */
final class Freshness {

    private Freshness() {
    }

    static boolean needsRevalidation(final HttpServletRequest request, final EntryMeta meta, final long nowMillis) {
        // in milliseconds: "max-age=0" (apt's every update) must revalidate also within a second of the last time
        final long age = ageMillis(meta, nowMillis);
        final String requestControl = request.getHeader("Cache-Control");
        if (requestControl != null) {
            final Directives asked = Directives.parse(requestControl);
            final long maxAge = asked.seconds("max-age");
            if (asked.has("no-cache") || maxAge >= 0 && age > maxAge * 1000) {
                return true;
            }
        } else {
            final String pragma = request.getHeader("Pragma");
            if (pragma != null && pragma.toLowerCase(java.util.Locale.ROOT).contains("no-cache")) {
                return true;
            }
        }
        final Directives stored = Directives.parse(StoredHeaders.joined(meta.headers(), "Cache-Control"));
        if (stored.has("no-cache")) {
            return true;
        }
        final long lifetime = lifetimeSeconds(meta.headers(), stored);
        return lifetime >= 0 && age >= lifetime * 1000;
    }

    /** Seconds since the response was received (upstream's Age included), for the Age header; 0 when unknown. */
    static long ageSeconds(final EntryMeta meta, final long nowMillis) {
        return meta.receivedMillis() <= 0 ? 0 : Math.max(0, nowMillis - meta.receivedMillis()) / 1000;
    }

    /** Milliseconds since the response was received (upstream's Age included); very old when unknown. */
    static long ageMillis(final EntryMeta meta, final long nowMillis) {
        if (meta.receivedMillis() <= 0) {
            return Long.MAX_VALUE / 4;
        }
        return Math.max(1, nowMillis - meta.receivedMillis()); // stored before this instant: never quite age 0
    }

    /** The explicit freshness lifetime in seconds, or -1 when the response gives none. */
    static long lifetimeSeconds(final String headers, final Directives control) {
        final long shared = control.seconds("s-maxage");
        if (shared >= 0) {
            return shared;
        }
        final long maxAge = control.seconds("max-age");
        if (maxAge >= 0) {
            return maxAge;
        }
        final String expires = StoredHeaders.first(headers, "Expires");
        if (expires == null) {
            return -1;
        }
        final long at = HttpDates.seconds(expires);
        final long date = HttpDates.seconds(StoredHeaders.first(headers, "Date"));
        if (at == HttpDates.NONE || date == HttpDates.NONE) {
            return 0; // an invalid Expires means already expired (RFC 9111 §5.3)
        }
        return Math.max(0, at - date);
    }
}
