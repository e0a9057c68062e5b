package io.otaproxy.proxy.internal.upstream;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import org.junit.Test;

/** Location resolution with java.net.URI against raw targets, including ones URI itself would refuse. */
public class RedirectResolverTest {

    private static String resolve(final String base, final String location) {
        final UpstreamTarget t = RedirectResolver.resolve(UpstreamTarget.parse(base), location);
        return t == null ? null : t.toUrl();
    }

    @Test
    public void resolvesAbsoluteAndRelativeLocations() {
        assertEquals("https://cdn.example/f?x=%20", resolve("http://h/a/b", "https://cdn.example/f?x=%20"));
        assertEquals("http://h/c", resolve("http://h/a/b", "/c"));
        assertEquals("http://h/a/c", resolve("http://h/a/b", "c"));
        assertEquals("http://h:81/", resolve("http://h/a/b", "//h:81"));
        assertEquals("http://h/a/c", resolve("http://h/a/[b]", "c"));
        assertEquals("http://h/z", resolve("http://h/a/b", "/z#frag"));
        assertEquals("http://other/p", resolve("http://h/a", "http://user:pw@other/p"));
    }

    @Test
    public void unusableLocationsGiveNull() {
        assertNull(resolve("http://h/a", null));
        assertNull(resolve("http://h/a", " "));
        assertNull(resolve("http://h/a", "http://bad host/"));
        assertNull(resolve("http://h/a", "ftp://h/x"));
        assertNull(resolve("http://h/a", "mailto:x@y"));
    }
}
