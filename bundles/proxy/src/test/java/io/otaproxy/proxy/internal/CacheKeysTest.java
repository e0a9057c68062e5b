package io.otaproxy.proxy.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.util.List;

import org.junit.Test;

public class CacheKeysTest {

    private static ProxyTarget t(final String scheme, final String authority, final String path, final String query)
            throws BadRequestException {
        return ProxyTarget.of(scheme, authority, path, query);
    }

    @Test
    public void theClientsShaIsTheKey() throws Exception {
        final String sha = "ab".repeat(32);
        assertEquals(sha, CacheKeys.keyFor(t("http", "h", "/x", null),
                OtaCacheControl.parse(List.of("file_sha256=" + sha))));
    }

    @Test
    public void urlKeysAre64HexAndIgnoreWhatDoesNotChangeTheResource() throws Exception {
        final String key = CacheKeys.urlKey(t("http", "Example.COM:80", "/a%2fb", "sig=1"));
        assertTrue(key.matches("[0-9a-f]{64}"));
        assertEquals(key, CacheKeys.urlKey(t("http", "example.com", "/a%2Fb", null)));
        assertEquals("https upgrade keeps the key", key,
                CacheKeys.urlKey(t("http", "example.com", "/a%2Fb", "sig=2").withScheme("https")));
        assertEquals("http://example.com/a%2Fb", CacheKeys.normalizedUrl(t("http", "example.com", "/a%2fb", "q")));
    }

    @Test
    public void differentResourcesHaveDifferentKeys() throws Exception {
        final String key = CacheKeys.urlKey(t("http", "example.com", "/a", null));
        assertNotEquals(key, CacheKeys.urlKey(t("http", "example.com", "/b", null)));
        assertNotEquals(key, CacheKeys.urlKey(t("http", "example.com:8080", "/a", null)));
        assertNotEquals(key, CacheKeys.urlKey(t("http", "example.org", "/a", null)));
        assertNotEquals("an escaped slash is not a slash", CacheKeys.urlKey(t("http", "h", "/a%2Fb", null)),
                CacheKeys.urlKey(t("http", "h", "/a/b", null)));
    }

    @Test
    public void aCompressedBodyIsKeyedByItsUrlTooSoItCannotServeAnotherUrl() throws Exception {
        final String sha = "ab".repeat(32);
        final OtaCacheControl zst = OtaCacheControl.parse(List.of("file_sha256=" + sha + ",file_compression_alg=zst"));
        final String a = CacheKeys.keyFor(ProxyTarget.of("http", "ota.example", "/a.zst", null), zst);
        final String b = CacheKeys.keyFor(ProxyTarget.of("http", "ota.example", "/b.zst", null), zst);
        assertNotEquals(sha, a);
        assertNotEquals(a, b);
        assertTrue(a.matches("[0-9a-f]{64}"));
        assertEquals(a, CacheKeys.keyFor(ProxyTarget.of("http", "OTA.example:80", "/a.zst", null), zst));
        final OtaCacheControl plain = OtaCacheControl.parse(List.of("file_sha256=" + sha));
        assertEquals(sha, CacheKeys.keyFor(ProxyTarget.of("http", "ota.example", "/a", null), plain));
    }
}
