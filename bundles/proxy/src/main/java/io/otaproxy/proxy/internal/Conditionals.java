package io.otaproxy.proxy.internal;

import jakarta.servlet.http.HttpServletRequest;

/**
 * A request's preconditions against a stored response's validators (RFC 9110 §13): {@code If-None-Match} and
 * {@code If-Modified-Since} turn a GET or HEAD into 304 Not Modified when the stored response matches;
 * {@code If-Range} lets a Range apply only to the representation the client already holds part of.
 */
final class Conditionals {

    private Conditionals() {
    }

    /** Whether the answer is 304: If-None-Match matches, or, without one, nothing changed since If-Modified-Since. */
    static boolean notModified(final HttpServletRequest request, final String stored) {
        final String noneMatch = request.getHeader("If-None-Match");
        if (noneMatch != null) {
            final String etag = StoredHeaders.first(stored, "ETag");
            return noneMatch.strip().equals("*") || etag != null && listMatches(noneMatch, etag, false);
        }
        final long since = HttpDates.seconds(request.getHeader("If-Modified-Since"));
        if (since == HttpDates.NONE) {
            return false; // most requests: the stored headers and their date are not parsed on every answer
        }
        final long modified = HttpDates.seconds(StoredHeaders.first(stored, "Last-Modified"));
        return modified != HttpDates.NONE && modified <= since;
    }

    /**
     * Whether a Range header applies: always without If-Range; with it, only when it names the stored response by
     * a strong entity tag or its exact Last-Modified date (otherwise the whole body is the answer).
     */
    static boolean rangeApplies(final HttpServletRequest request, final String stored) {
        final String ifRange = request.getHeader("If-Range");
        if (ifRange == null) {
            return true;
        }
        final String v = ifRange.strip();
        if (v.startsWith("\"") || v.startsWith("W/")) {
            final String etag = StoredHeaders.first(stored, "ETag");
            return etag != null && listMatches(v, etag, true);
        }
        final long date = HttpDates.seconds(v);
        return date != HttpDates.NONE && date == HttpDates.seconds(StoredHeaders.first(stored, "Last-Modified"));
    }

    /** Whether an entity-tag list contains {@code etag}: weakly (opaque tags equal) or strongly (neither weak). */
    static boolean listMatches(final String list, final String etag, final boolean strong) {
        final String mine = etag.strip();
        if (strong && mine.startsWith("W/")) {
            return false;
        }
        final String opaque = opaque(mine);
        int i = 0;
        while (i < list.length()) {
            final char c = list.charAt(i);
            if (c == ',' || c == ' ' || c == '\t') {
                i++;
                continue;
            }
            final boolean weak = list.startsWith("W/", i);
            final int open = list.indexOf('"', i);
            if (open < 0) {
                return false;
            }
            final int close = list.indexOf('"', open + 1);
            if (close < 0) {
                return false;
            }
            final String tag = list.substring(open, close + 1);
            if (tag.equals(opaque) && !(strong && weak)) {
                return true;
            }
            i = close + 1;
        }
        return false;
    }

    private static String opaque(final String etag) {
        return etag.startsWith("W/") ? etag.substring(2) : etag;
    }
}
