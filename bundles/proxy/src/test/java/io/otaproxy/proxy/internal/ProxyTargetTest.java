package io.otaproxy.proxy.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import org.junit.Test;

public class ProxyTargetTest {

    @Test
    public void keepsPathAndQueryExactlyAsSent() throws Exception {
        final ProxyTarget t = ProxyTarget.of("http", "example.com:8080", "/a%20b/%2F/c+d&e=[f]@g!h;i",
                "x=%2F&y=1+2");
        assertEquals("example.com", t.host());
        assertEquals(8080, t.port());
        assertEquals("example.com:8080", t.authority());
        assertEquals("/a%20b/%2F/c+d&e=[f]@g!h;i?x=%2F&y=1+2", t.rawPathAndQuery());
        assertEquals("http://example.com:8080/a%20b/%2F/c+d&e=[f]@g!h;i?x=%2F&y=1+2", t.toString());
    }

    @Test
    public void defaultPortsFollowTheScheme() throws Exception {
        assertEquals(80, ProxyTarget.of("http", "example.com", "/", null).port());
        assertEquals(443, ProxyTarget.of("HTTPS", "example.com", "/", null).port());
        assertEquals("https", ProxyTarget.of("HTTPS", "example.com", "/", null).scheme());
    }

    @Test
    public void anEmptyPathIsTheRoot() throws Exception {
        assertEquals("/", ProxyTarget.of("http", "h", "", null).rawPathAndQuery());
        assertEquals("/?q", ProxyTarget.of("http", "h", null, "q").rawPathAndQuery());
    }

    @Test
    public void ipv6Literals() throws Exception {
        final ProxyTarget t = ProxyTarget.of("http", "[::1]:9000", "/x", null);
        assertEquals("[::1]", t.host());
        assertEquals(9000, t.port());
        assertEquals(80, ProxyTarget.of("http", "[fe80::1]", "/x", null).port());
        assertThrows(BadRequestException.class, () -> ProxyTarget.of("http", "[::1", "/x", null));
        assertThrows(BadRequestException.class, () -> ProxyTarget.of("http", "[::1]x", "/x", null));
    }

    @Test
    public void theHttpsUpgradeKeepsAnExplicitPortAndMovesADefaultOne() throws Exception {
        final ProxyTarget implicit = ProxyTarget.of("http", "example.com", "/f?v=1", null).withScheme("https");
        assertEquals("https", implicit.scheme());
        assertEquals(443, implicit.port());
        assertEquals("example.com", implicit.authority());
        final ProxyTarget explicit = ProxyTarget.of("http", "example.com:8080", "/f", "v=1").withScheme("https");
        assertEquals(8080, explicit.port());
        assertEquals("/f?v=1", explicit.rawPathAndQuery());
    }

    @Test
    public void refusesWhatCannotBeForwardedSafely() {
        assertEquals(400, status(() -> ProxyTarget.of("ftp", "h", "/", null)));
        assertEquals(400, status(() -> ProxyTarget.of("http", "", "/", null)));
        assertEquals(400, status(() -> ProxyTarget.of("http", "user@h", "/", null)));
        assertEquals(400, status(() -> ProxyTarget.of("http", "h:0", "/", null)));
        assertEquals(400, status(() -> ProxyTarget.of("http", "h:65536", "/", null)));
        assertEquals(400, status(() -> ProxyTarget.of("http", "h:x", "/", null)));
        assertEquals(400, status(() -> ProxyTarget.of("http", "h", "relative", null)));
        assertEquals(400, status(() -> ProxyTarget.of("http", "h", "/a\r\nX-Injected: 1", null)));
        assertEquals(400, status(() -> ProxyTarget.of("http", "h", "/a b", null)));
        assertEquals(400, status(() -> ProxyTarget.of("http", "h", "/a", "q\n")));
        assertEquals(400, status(() -> ProxyTarget.of("http", "h\t", "/", null)));
    }

    private interface Parse {
        ProxyTarget run() throws BadRequestException;
    }

    private static int status(final Parse parse) {
        try {
            parse.run();
            return 200;
        } catch (final BadRequestException e) {
            return e.status();
        }
    }
}
