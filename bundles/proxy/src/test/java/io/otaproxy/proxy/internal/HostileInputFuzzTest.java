package io.otaproxy.proxy.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;

import io.otaproxy.proxy.internal.upstream.UpstreamRequest;
import io.otaproxy.proxy.internal.upstream.UpstreamTarget;

import org.junit.Test;

/**
 * Seeded random inputs for everything a client controls before the proxy contacts anyone: the request target and
 * the OTA-File-Cache-Control header. Each case either is refused with a 400 or yields values that are safe to
 * send upstream and to use as a cache file name. The seeds are fixed, so a failure names a reproducible case.
 */
public class HostileInputFuzzTest {

    private static final int CASES = 20_000;
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    /** Characters that matter to URL, header and path handling, plus some random ones. */
    private static final String[] PIECES = {"/", "..", ".", "%", "%2e", "%2E%2e", "%2f", "%5c", "\\", "%00", "\u0000",
        "\r", "\n", "\r\n", " ", "\t", "?", "#", "@", ":", "[", "]", "::1", "127.0.0.1", "localhost", "a", "Z", "9",
        "é", "\u30d5", "\ud83d\ude00", "\u007f", "\u0085", "\u2028", "%ZZ", "%", "%%", "+", "&", "=", ";", ",",
        "file_sha256=", "etc", "passwd", "~", "*", "'", "\"", "<", ">", "|", "`", "$", "{", "}", "\ufeff"};

    private static String randomText(final Random random, final int maxPieces) {
        final StringBuilder b = new StringBuilder();
        final int n = random.nextInt(maxPieces + 1);
        for (int i = 0; i < n; i++) {
            if (random.nextInt(5) == 0) {
                b.append((char) random.nextInt(0x3000));
            } else {
                b.append(PIECES[random.nextInt(PIECES.length)]);
            }
        }
        return b.toString();
    }

    @Test
    public void requestTargetsAreRefusedOrSafeToForward() {
        final Random random = new Random(0x5eed_0001L);
        int accepted = 0;
        for (int i = 0; i < CASES; i++) {
            final String authority = random.nextInt(4) == 0 ? "origin.example:" + random.nextInt(70_000)
                    : randomText(random, 4);
            final String path = (random.nextBoolean() ? "/" : "") + randomText(random, 12);
            final String query = random.nextInt(3) == 0 ? null : randomText(random, 6);
            final String scheme = random.nextInt(10) == 0 ? randomText(random, 2) : "http";
            final String label = "case " + i + ": " + printable(scheme + "://" + authority + path + "?" + query);
            final ProxyTarget target;
            try {
                target = ProxyTarget.of(scheme, authority, path, query);
            } catch (final BadRequestException e) {
                assertEquals(label, 400, e.status());
                continue;
            } catch (final RuntimeException e) {
                throw new AssertionError(label + " threw " + e, e);
            }
            accepted++;
            assertTrue(label, target.port() >= 1 && target.port() <= 65535);
            assertFalse(label, target.host().isEmpty());
            assertFalse(label, target.host().contains("@"));
            assertTrue(label, target.rawPathAndQuery().startsWith("/"));
            for (final char c : (target.authority() + target.rawPathAndQuery()).toCharArray()) {
                assertTrue(label + " kept control character " + (int) c, c > 0x20 && c != 0x7f);
            }
            // the cache key of any URL is 64 hex digits: a file name that cannot leave cache_dir
            assertTrue(label, HEX64.matcher(CacheKeys.urlKey(target)).matches());
            // what the proxy would send upstream is either built byte-exact or refused as a bad request
            try {
                final UpstreamTarget upstream = new UpstreamTarget(target.scheme(), target.host(), target.port(),
                        target.authority(), target.rawPathAndQuery());
                assertEquals(label, target.rawPathAndQuery(), upstream.rawPathAndQuery());
                new UpstreamRequest("GET", upstream, List.of(Map.entry("Via", "1.1 ota-proxy-test")));
            } catch (final IllegalArgumentException e) {
                // answered 400 by Relay.open
            }
        }
        System.out.println("request targets: " + CASES + " cases, " + accepted + " accepted, the rest refused with 400");
        assertTrue("some cases must get through, or the generator tests nothing: " + accepted, accepted > 500);
    }

    @Test
    public void cacheControlHeadersAreRefusedOrGiveASafeKey() {
        final Random random = new Random(0x5eed_0002L);
        final String sha = "0123456789abcdef".repeat(4);
        int withSha = 0;
        for (int i = 0; i < CASES; i++) {
            final List<String> values = new ArrayList<>();
            final int lines = random.nextInt(3) + 1;
            for (int l = 0; l < lines; l++) {
                final StringBuilder v = new StringBuilder();
                final int directives = random.nextInt(5);
                for (int d = 0; d < directives; d++) {
                    if (d > 0) {
                        v.append(random.nextBoolean() ? "," : " , ");
                    }
                    switch (random.nextInt(7)) {
                        case 0 -> v.append("no_cache");
                        case 1 -> v.append("RETRY_CACHING");
                        case 2 -> v.append("file_sha256=").append(random.nextBoolean() ? sha : randomText(random, 3));
                        case 3 -> v.append("file_sha256=").append(mutate(random, sha));
                        case 4 -> v.append("file_compression_alg=").append(randomText(random, 2));
                        case 5 -> v.append(randomText(random, 4)).append('=').append(randomText(random, 3));
                        default -> v.append(randomText(random, 5));
                    }
                }
                values.add(v.toString());
            }
            final String label = "case " + i + ": " + printable(values.toString());
            final OtaCacheControl control;
            try {
                control = OtaCacheControl.parse(values);
            } catch (final BadRequestException e) {
                assertEquals(label, 400, e.status());
                assertTrue(label, String.join(",", values).toLowerCase(Locale.ROOT).contains("file_sha256"));
                continue;
            } catch (final RuntimeException e) {
                throw new AssertionError(label + " threw " + e, e);
            }
            if (control.fileSha256() != null) {
                withSha++;
                assertTrue(label, HEX64.matcher(control.fileSha256()).matches());
                final String answer = OtaCacheControl.responseValue(control.fileSha256(), control.compressionAlg());
                assertTrue(label, answer.startsWith("file_sha256=" + control.fileSha256()));
            } else {
                assertNull(label, control.compressionAlg());
            }
        }
        System.out.println("cache-control headers: " + CASES + " cases, " + withSha + " with a valid sha256");
        assertTrue("some cases must carry a valid sha256: " + withSha, withSha > 1000);
    }

    /** Whatever a header line holds, the parser never accepts a sha256 that is not exactly 64 hex digits. */
    @Test
    public void aSha256IsNeverAcceptedUnlessItIs64HexDigits() {
        final Random random = new Random(0x5eed_0003L);
        for (int i = 0; i < CASES; i++) {
            final String candidate = random.nextBoolean() ? randomText(random, 8)
                    : mutate(random, "0123456789abcdef".repeat(4));
            try {
                final OtaCacheControl c = OtaCacheControl.parse(List.of("file_sha256=" + candidate));
                assertTrue(printable(candidate), HEX64.matcher(c.fileSha256()).matches());
                assertEquals(printable(candidate), candidate.trim().toLowerCase(Locale.ROOT), c.fileSha256());
            } catch (final BadRequestException e) {
                assertFalse(printable(candidate), candidate.trim().matches("[0-9a-fA-F]{64}")
                        && candidate.indexOf(',') < 0);
            }
        }
    }

    private static String mutate(final Random random, final String text) {
        final StringBuilder b = new StringBuilder(text);
        final int edits = random.nextInt(3);
        for (int e = 0; e < edits; e++) {
            final int at = random.nextInt(b.length() + 1);
            switch (random.nextInt(3)) {
                case 0 -> b.insert(at, PIECES[random.nextInt(PIECES.length)]);
                case 1 -> {
                    if (at < b.length()) {
                        b.deleteCharAt(at);
                    }
                }
                default -> {
                    if (at < b.length()) {
                        b.setCharAt(at, (char) random.nextInt(0x80));
                    }
                }
            }
        }
        return b.toString();
    }

    private static String printable(final String s) {
        final StringBuilder b = new StringBuilder();
        for (final char c : s.toCharArray()) {
            if (c < 0x20 || c >= 0x7f) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    @Test
    public void theGeneratorReachesTheInterestingCharacters() {
        // a guard against a generator that silently stopped producing what the tests above rely on
        final Random random = new Random(1);
        final StringBuilder all = new StringBuilder();
        for (int i = 0; i < 2_000; i++) {
            all.append(randomText(random, 8));
        }
        for (final String needed : List.of("\r", "\n", "\u0000", "..", "%2f", "@", "[")) {
            if (all.indexOf(needed) < 0) {
                fail("generator never produced " + printable(needed));
            }
        }
    }
}
