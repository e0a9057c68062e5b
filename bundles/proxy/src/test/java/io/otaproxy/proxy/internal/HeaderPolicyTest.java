package io.otaproxy.proxy.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.Set;

import org.junit.Test;

public class HeaderPolicyTest {

    private static final Set<String> NONE = Set.of();

    @Test
    public void hopByHopRequestHeadersAreDropped() {
        for (final String name : List.of("Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization",
                "Proxy-Authenticate", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Host", "Content-Length",
                "Expect")) {
            assertFalse(name, HeaderPolicy.forwardRequestHeader(name, NONE, true));
            assertFalse(name, HeaderPolicy.forwardRequestHeader(name.toUpperCase(), NONE, false));
        }
    }

    @Test
    public void endToEndRequestHeadersPass() {
        for (final String name : List.of("Authorization", "Cookie", "User-Agent", "Accept-Encoding", "Range",
                "If-Range", "Accept", "X-Custom")) {
            assertTrue(name, HeaderPolicy.forwardRequestHeader(name, NONE, false));
        }
    }

    @Test
    public void headersNamedByConnectionAreHopByHop() {
        final Set<String> tokens = HeaderPolicy.connectionTokens(List.of("close, X-Private", "Foo"));
        assertEquals(Set.of("close", "x-private", "foo"), tokens);
        assertFalse(HeaderPolicy.forwardRequestHeader("x-private", tokens, false));
        assertFalse(HeaderPolicy.forwardResponseHeader("Foo", tokens));
        assertTrue(HeaderPolicy.forwardResponseHeader("ETag", tokens));
    }

    @Test
    public void otaDirectivesGoOnlyToAnUpperProxy() {
        assertFalse(HeaderPolicy.forwardRequestHeader("OTA-File-Cache-Control", NONE, false));
        assertTrue(HeaderPolicy.forwardRequestHeader("ota-file-cache-control", NONE, true));
    }

    @Test
    public void responseFramingHeadersAreTheContainersJob() {
        assertFalse(HeaderPolicy.forwardResponseHeader("Transfer-Encoding", NONE));
        assertFalse(HeaderPolicy.forwardResponseHeader("Content-Length", NONE));
        assertFalse(HeaderPolicy.forwardResponseHeader("Connection", NONE));
        assertTrue(HeaderPolicy.forwardResponseHeader("Content-Type", NONE));
        assertTrue(HeaderPolicy.forwardResponseHeader("Content-Encoding", NONE));
        assertTrue(HeaderPolicy.forwardResponseHeader("Set-Cookie", NONE));
    }
}
