package io.otaproxy.proxy.internal.upstream;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.junit.Test;

/** Validation of targets and requests: nothing that could split or smuggle a request gets through. */
public class UpstreamRequestTest {

    private static final UpstreamTarget TARGET = UpstreamTarget.parse("http://h.example/x");

    @Test
    public void crLfAndNulInHeadersAreRejected() {
        final List<Map.Entry<String, String>> bad = List.of(
                Map.entry("X-A", "v\r\nX-Injected: 1"), Map.entry("X-A", "v\nGET / HTTP/1.1"), Map.entry("X-A", "v\r"),
                Map.entry("X-A", "v\0"), Map.entry("X-A\r\nX-B", "v"), Map.entry("X A", "v"), Map.entry("X-A:", "v"),
                Map.entry("", "v"), Map.entry("X-A", "\u20ac"));
        for (final Map.Entry<String, String> h : bad) {
            try {
                new UpstreamRequest("GET", TARGET, List.of(h));
                fail("accepted header " + h);
            } catch (final IllegalArgumentException e) {
                assertFalse("message must not echo raw CR/LF", e.getMessage().contains("\n"));
            }
        }
    }

    @Test
    public void clientOwnedHeadersAreRejected() {
        for (final String name : List.of("Host", "content-length", "Transfer-Encoding")) {
            try {
                new UpstreamRequest("GET", TARGET, List.of(Map.entry(name, "1")));
                fail("accepted " + name);
            } catch (final IllegalArgumentException e) {
                assertTrue(UpstreamRequest.isClientOwnedHeader(name));
            }
        }
    }

    @Test
    public void onlyGetAndHead() {
        for (final String method : List.of("POST", "get", "CONNECT", "GET ")) {
            try {
                new UpstreamRequest(method, TARGET);
                fail("accepted " + method);
            } catch (final IllegalArgumentException e) {
                // expected
            }
        }
        assertTrue(new UpstreamRequest("HEAD", TARGET).isHead());
    }

    @Test
    public void badTargetsAreRejected() {
        for (final String path : List.of("/a b", "/a\r\nX: y", "/a\nb", "/a\0", "/a\tb", "/a\u007f", "/a\u0085", "x/y", "",
                "/bad\ud800")) {
            try {
                new UpstreamTarget("http", "h", 80, "h", path);
                fail("accepted path " + UpstreamTarget.printable(path));
            } catch (final IllegalArgumentException e) {
                // expected
            }
        }
        for (final String authority : List.of("h\r\n", "user@h", "h h", "h/x", "")) {
            try {
                new UpstreamTarget("http", "h", 80, authority, "/");
                fail("accepted authority " + UpstreamTarget.printable(authority));
            } catch (final IllegalArgumentException e) {
                // expected
            }
        }
        for (final String url : List.of("ftp://h/x", "http://h:0/", "http://h:99999/", "http://h:x/", "http:///x", "h/x",
                "http://[::1/x")) {
            try {
                UpstreamTarget.parse(url);
                fail("accepted " + url);
            } catch (final IllegalArgumentException e) {
                // expected
            }
        }
    }

    @Test
    public void parseKeepsAuthorityAndRawPath() {
        UpstreamTarget t = UpstreamTarget.parse("HTTP://Host.Example:8080/a%20b?c=[d]");
        assertEquals("http", t.scheme());
        assertEquals("Host.Example", t.host());
        assertEquals(8080, t.port());
        assertEquals("Host.Example:8080", t.authority());
        assertEquals("/a%20b?c=[d]", t.rawPathAndQuery());

        t = UpstreamTarget.parse("https://[2001:db8::1]?q");
        assertEquals("[2001:db8::1]", t.host());
        assertEquals(443, t.port());
        assertEquals("/?q", t.rawPathAndQuery());
        assertEquals("[2001:db8::1]", t.authority());

        t = UpstreamTarget.parse("http://[::1]:81");
        assertEquals(81, t.port());
        assertEquals("/", t.rawPathAndQuery());

        t = UpstreamTarget.parse("http://h.example:/x");
        assertEquals(80, t.port());
        assertEquals("h.example:", t.authority());
    }

    @Test
    public void requestHeadIsExactlyRequestLineHostAndGivenHeaders() {
        final UpstreamRequest r = new UpstreamRequest("GET", UpstreamTarget.parse("http://h.example:81/\u00e9?a=%2F"),
                List.of(Map.entry("Accept", "*/*"), Map.entry("X-Latin", "caf\u00e9")));
        final byte[] direct = RequestHead.encode(r, false);
        final byte[] proxied = RequestHead.encode(r, true);
        final String expectedHeaders = "Host: h.example:81\r\nAccept: */*\r\nX-Latin: caf\u00e9\r\n\r\n";
        assertEquals("GET /\u00c3\u00a9?a=%2F HTTP/1.1\r\n" + expectedHeaders,
                new String(direct, StandardCharsets.ISO_8859_1));
        assertEquals("GET http://h.example:81/\u00c3\u00a9?a=%2F HTTP/1.1\r\n" + expectedHeaders,
                new String(proxied, StandardCharsets.ISO_8859_1));
    }
}
