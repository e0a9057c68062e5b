package io.otaproxy.proxy.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;

import io.otaproxy.api.cache.EntryMeta;
import io.otaproxy.proxy.internal.upstream.UpstreamHeaders;

import org.junit.Test;

/** The HTTP caching rules: preconditions, freshness, variants and the headers an entry keeps. */
public class HttpCachingRulesTest {

    private static final String MODIFIED = "Fri, 04 Dec 2026 09:00:00 GMT";
    private static final String STORED = "ETag: \"v1\"\nLast-Modified: " + MODIFIED;
    private static final long NOW = 1_800_000_000_000L;

    /** A request with these header lines ({@code Name: value}), case-insensitive by name. */
    private static HttpServletRequest request(final String... lines) {
        return (HttpServletRequest) Proxy.newProxyInstance(HttpServletRequest.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class}, (proxy, method, args) -> {
                    final List<String> values = new ArrayList<>();
                    if (args != null && args.length == 1 && args[0] instanceof String name) {
                        for (final String line : lines) {
                            final int colon = line.indexOf(':');
                            if (line.substring(0, colon).equalsIgnoreCase(name)) {
                                values.add(line.substring(colon + 1).strip());
                            }
                        }
                    }
                    switch (method.getName()) {
                        case "getHeader":
                            return values.isEmpty() ? null : values.get(0);
                        case "getHeaders":
                            return Collections.enumeration(values);
                        default:
                            throw new UnsupportedOperationException(method.getName());
                    }
                });
    }

    private static UpstreamHeaders headers(final String... namesAndValues) {
        final List<Map.Entry<String, String>> fields = new ArrayList<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            fields.add(Map.entry(namesAndValues[i], namesAndValues[i + 1]));
        }
        return UpstreamHeaders.of(fields);
    }

    private static EntryMeta stored(final String headers, final long receivedMillis) {
        return new EntryMeta(10, null, null, null, null, headers, receivedMillis, null);
    }

    @Test
    public void ifNoneMatchComparesWeaklyAndWinsOverIfModifiedSince() {
        assertTrue(Conditionals.notModified(request("If-None-Match: \"v1\""), STORED));
        assertTrue(Conditionals.notModified(request("If-None-Match: \"a\", W/\"v1\""), STORED));
        assertTrue(Conditionals.notModified(request("If-None-Match: *"), STORED));
        assertFalse(Conditionals.notModified(request("If-None-Match: \"v2\""), STORED));
        assertFalse("If-None-Match decides alone",
                Conditionals.notModified(request("If-None-Match: \"v2\"", "If-Modified-Since: " + MODIFIED), STORED));
        assertFalse(Conditionals.notModified(request("If-None-Match: \"v1\""), "Last-Modified: " + MODIFIED));
    }

    @Test
    public void ifModifiedSinceComparesDatesAndIgnoresWhatItCannotRead() {
        assertTrue(Conditionals.notModified(request("If-Modified-Since: " + MODIFIED), STORED));
        assertTrue(Conditionals.notModified(request("If-Modified-Since: Sat, 05 Dec 2026 09:00:00 GMT"), STORED));
        assertFalse(Conditionals.notModified(request("If-Modified-Since: Thu, 03 Dec 2026 09:00:00 GMT"), STORED));
        assertFalse(Conditionals.notModified(request("If-Modified-Since: yesterday"), STORED));
        assertFalse(Conditionals.notModified(request("If-Modified-Since: " + MODIFIED), "ETag: \"v1\""));
        assertFalse(Conditionals.notModified(request(), STORED));
    }

    @Test
    public void ifRangeNeedsAStrongTagOrTheExactDate() {
        assertTrue(Conditionals.rangeApplies(request(), STORED));
        assertTrue(Conditionals.rangeApplies(request("If-Range: \"v1\""), STORED));
        assertFalse(Conditionals.rangeApplies(request("If-Range: W/\"v1\""), STORED));
        assertFalse(Conditionals.rangeApplies(request("If-Range: \"v1\""), "ETag: W/\"v1\""));
        assertFalse(Conditionals.rangeApplies(request("If-Range: \"v0\""), STORED));
        assertTrue(Conditionals.rangeApplies(request("If-Range: " + MODIFIED), STORED));
        assertFalse(Conditionals.rangeApplies(request("If-Range: Sat, 05 Dec 2026 09:00:00 GMT"), STORED));
        assertFalse("no validators: never", Conditionals.rangeApplies(request("If-Range: \"v1\""), null));
    }

    @Test
    public void anEntryIsFreshUnlessTheClientOrTheResponseSaysOtherwise() {
        final EntryMeta plain = stored(STORED, NOW - 3_600_000);
        assertFalse("no explicit lifetime: fresh", Freshness.needsRevalidation(request(), plain, NOW));
        assertTrue(Freshness.needsRevalidation(request("Cache-Control: no-cache"), plain, NOW));
        assertTrue(Freshness.needsRevalidation(request("Cache-Control: max-age=0"), plain, NOW));
        assertTrue("max-age=0 within the second the entry was stored",
                Freshness.needsRevalidation(request("Cache-Control: max-age=0"), stored(STORED, NOW - 94), NOW));
        assertTrue("and in the very millisecond",
                Freshness.needsRevalidation(request("Cache-Control: max-age=0"), stored(STORED, NOW), NOW));
        assertFalse(Freshness.needsRevalidation(request("Cache-Control: max-age=7200"), plain, NOW));
        assertTrue(Freshness.needsRevalidation(request("Pragma: no-cache"), plain, NOW));
        assertFalse("Cache-Control wins over Pragma",
                Freshness.needsRevalidation(request("Pragma: no-cache", "Cache-Control: max-age=7200"), plain, NOW));

        assertFalse(Freshness.needsRevalidation(request(), stored("Cache-Control: max-age=7200", NOW - 3_600_000), NOW));
        assertTrue(Freshness.needsRevalidation(request(), stored("Cache-Control: max-age=60", NOW - 3_600_000), NOW));
        assertFalse("s-maxage wins for a shared cache", Freshness.needsRevalidation(request(),
                stored("Cache-Control: max-age=60, s-maxage=7200", NOW - 3_600_000), NOW));
        assertTrue(Freshness.needsRevalidation(request(), stored("Cache-Control: no-cache", NOW), NOW));
        assertTrue(Freshness.needsRevalidation(request(), stored("Date: Fri, 04 Dec 2026 09:00:00 GMT\n"
                + "Expires: Fri, 04 Dec 2026 09:00:30 GMT", NOW - 60_000), NOW));
        assertTrue("an invalid Expires is already expired",
                Freshness.needsRevalidation(request(), stored("Expires: 0", NOW), NOW));
        assertTrue("unknown age: as old as can be",
                Freshness.needsRevalidation(request("Cache-Control: max-age=100000"), stored(null, 0), NOW));
    }

    @Test
    public void directivesAreParsedWithQuotesAndNumbers() {
        final Directives d = Directives.parse("private=\"set-cookie, x\", max-age=60 , NO-CACHE, s-maxage=abc");
        assertTrue(d.has("private"));
        assertTrue(d.has("no-cache"));
        assertEquals(60, d.seconds("max-age"));
        assertEquals(-1, d.seconds("s-maxage"));
        assertFalse(d.has("x"));
        assertEquals(Long.MAX_VALUE / 1000, Directives.parse("max-age=99999999999999999999").seconds("max-age"));
    }

    @Test
    public void aVariantNamesTheSelectingValuesAndMatchesOnlyItsOwn() {
        assertNull(Variants.of(null, request("Accept-Encoding: gzip")));
        assertEquals("accept-encoding=gzip,br", Variants.of("Accept-Encoding", request("Accept-Encoding: gzip, br")));
        assertEquals("accept-encoding", Variants.of("accept-encoding", request()));
        assertEquals(Variants.ANY, Variants.of("Accept-Encoding, *", request()));
        final String variant = Variants.of("Accept-Encoding, Accept-Language",
                request("Accept-Encoding: gzip", "Accept-Language: de"));
        final EntryMeta meta = new EntryMeta(1, null, null, null, null, "Vary: Accept-Encoding\nVary: Accept-Language",
                NOW, variant);
        assertTrue(Variants.matches(meta, request("accept-language: DE", "Accept-Encoding:gzip")));
        assertFalse(Variants.matches(meta, request("Accept-Encoding: gzip")));
        assertTrue("an entry that does not vary answers anyone", Variants.matches(stored(null, NOW), request()));
        assertNotEquals(Variants.key("k", "a"), Variants.key("k", "b"));
    }

    @Test
    public void anEntryKeepsEndToEndHeadersButNotWhatItSetsItselfOrOneClientsCookie() {
        final String kept = StoredHeaders.of(headers("ETag", "\"v1\"", "Content-Length", "5",
                "Content-Type", "a/b", "Connection", "close, X-Hop", "X-Hop", "1", "Set-Cookie", "s=1",
                "Transfer-Encoding", "chunked", "Age", "3", "Cache-Control", "max-age=5", "Date", "d"));
        assertEquals("ETag: \"v1\"\nCache-Control: max-age=5\nDate: d", kept);
        assertNull(StoredHeaders.of(headers("Content-Length", "5")));
    }

    @Test
    public void aConfirmingAnswerReplacesTheFieldsItCarries() {
        assertEquals("Last-Modified: " + MODIFIED + "\nETag: \"v1\"\nCache-Control: max-age=9",
                StoredHeaders.merge(STORED + "\nCache-Control: max-age=1\nCache-Control: public",
                        "ETag: \"v1\"\nCache-Control: max-age=9"));
        assertEquals("a, b", StoredHeaders.joined("Vary: a\nvary: b", "VARY"));
        assertEquals(STORED, StoredHeaders.merge(STORED, null));
    }
}
