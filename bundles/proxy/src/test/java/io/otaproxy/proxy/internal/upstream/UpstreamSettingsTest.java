package io.otaproxy.proxy.internal.upstream;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.List;

import org.junit.Test;

/** Upper proxy URL parsing, defaults and equality of the client settings. */
public class UpstreamSettingsTest {

    @Test
    public void upperProxyUrlIsParsed() {
        UpstreamSettings s = UpstreamSettings.builder().upperProxy("http://10.0.0.1:8082").build();
        assertTrue(s.hasUpperProxy());
        assertEquals("10.0.0.1", s.upperProxyHost());
        assertEquals(8082, s.upperProxyPort());

        s = UpstreamSettings.builder().upperProxy(" HTTP://proxy.example/ ").build();
        assertEquals("proxy.example", s.upperProxyHost());
        assertEquals(80, s.upperProxyPort());

        s = UpstreamSettings.builder().upperProxy("http://[fd00::1]:3128").build();
        assertEquals("[fd00::1]", s.upperProxyHost());
        assertEquals(3128, s.upperProxyPort());

        for (final String none : new String[] {null, "", "  "}) {
            assertFalse(UpstreamSettings.builder().upperProxy(none).build().hasUpperProxy());
        }
    }

    @Test
    public void badUpperProxyUrlsAreRejectedWithAClearMessage() {
        for (final String url : List.of("https://10.0.0.1:8082", "socks5://10.0.0.1:1080", "10.0.0.1:8082",
                "proxy:8082", "http://", "http://user:pw@10.0.0.1:8082", "http://10.0.0.1:8082/path",
                "http://10.0.0.1:8082?x", "http://10.0.0.1:99999", "http://bad host:1")) {
            try {
                UpstreamSettings.builder().upperProxy(url);
                fail("accepted " + url);
            } catch (final IllegalArgumentException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("upper proxy"));
            }
        }
    }

    @Test
    public void defaults() {
        final UpstreamSettings s = UpstreamSettings.defaults();
        assertFalse(s.hasUpperProxy());
        assertNull(s.upperProxyHost());
        assertEquals(10, s.maxRedirects());
        assertEquals(16, s.maxIdlePerRoute());
        assertEquals(30_000, s.keepAliveMillis());
        assertNotNull(s.sslSocketFactory());
    }

    @Test
    public void equalityTellsWhetherSettingsChanged() {
        final UpstreamSettings a = UpstreamSettings.builder().upperProxy("http://p:1").readTimeoutMillis(5).build();
        final UpstreamSettings b = UpstreamSettings.builder().upperProxy("http://p:1").readTimeoutMillis(5).build();
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertEquals(a, a.toBuilder().build());
        assertNotEquals(a, a.toBuilder().readTimeoutMillis(6).build());
        assertNotEquals(a, a.toBuilder().noUpperProxy().build());
        assertNotEquals(a, a.toBuilder().maxRedirects(3).build());
        assertNotEquals(a, a.toBuilder().sslSocketFactory(UpstreamSettings.defaults().sslSocketFactory()).build());
    }

    @Test
    public void negativeValuesAreRejected() {
        try {
            UpstreamSettings.builder().connectTimeoutMillis(-1);
            fail();
        } catch (final IllegalArgumentException e) {
            // expected
        }
        try {
            UpstreamSettings.builder().upperProxy("p", 0);
            fail();
        } catch (final IllegalArgumentException e) {
            // expected
        }
    }
}
