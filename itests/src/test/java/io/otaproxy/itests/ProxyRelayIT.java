package io.otaproxy.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import io.otaproxy.testing.Behaviour;
import io.otaproxy.testing.RawHttpClient;
import io.otaproxy.testing.RecordedRequest;
import io.otaproxy.testing.TestData;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;

/** The relay path against a real origin: bytes, URLs, headers, statuses, errors and aborts. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ProxyRelayIT extends ProxyTestSupport {

    /** The relay path itself, without the cache in front of it. */
    @Override
    protected String extraYaml() {
        return "enable_local_ota_proxy_cache: false\n";
    }


    @Test
    public void runsOnTheFrameworkTheBuildChose() {
        assertEquals(System.getProperty(FRAMEWORK_PROPERTY), context.getBundle(0).getSymbolicName());
    }

    @Test
    public void everyBundleIsActive() {
        for (final Bundle b : context.getBundles()) {
            if (b.getHeaders().get("Fragment-Host") == null) {
                assertEquals(b.getSymbolicName() + " state", Bundle.ACTIVE, b.getState());
            }
        }
    }

    @Test
    public void relaysABodyByteExactWithItsLength() throws IOException {
        final byte[] body = TestData.generate(3 * 1024 * 1024 + 17, 1);
        origin.put("/images/rootfs.img", body);
        final RawHttpClient.Response r = RawHttpClient.get(proxyPort(), origin.url("/images/rootfs.img"));
        assertEquals(200, r.status);
        assertEquals(Integer.toString(body.length), r.header("Content-Length"));
        assertTrue(r.complete);
        assertArrayEquals(body, r.body);
    }

    @Test
    public void pathAndQueryReachUpstreamByteExact() throws IOException {
        final List<String> targets = List.of("/file%20with%20spaces/x", "/file%23hash/x", "/file%25percent/x",
                "/file+plus/a&b=c", "/file[bracket]/x", "/file@at!exclaim;x", "/fil%C3%A9%C3%A0cc%C3%A9nted/x",
                "/a%2Fb//c", "/q?x=1&y=%2F+z&w=[1]", "/%E3%83%95%E3%82%A1%E3%82%A4%E3%83%AB",
                "/raw-utf8-\u00e9\u30d5\u30a1/x", "/path;adf.ae?qu.er%5Cy=str%23frag");
        for (final String target : targets) {
            // what travels on the wire: the UTF-8 bytes of the target; the origin records them one char per byte
            final String wire = new String(target.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
            origin.put(wire, target.getBytes(StandardCharsets.UTF_8));
            final RawHttpClient.Response r = RawHttpClient.get(proxyPort(), origin.url(target));
            assertEquals(target, 200, r.status);
            assertEquals(target, target, r.bodyText());
            final RecordedRequest seen = origin.requests().get(origin.requests().size() - 1);
            assertEquals("target upstream saw", wire, seen.target());
        }
    }

    @Test
    public void endToEndHeadersPassAndHopByHopHeadersDoNot() throws IOException {
        origin.put("/h", new byte[] {1});
        final RawHttpClient.Response r = RawHttpClient.get(proxyPort(), origin.url("/h"),
                "Authorization: Bearer abc", "Cookie: a=b", "User-Agent: ecu/1.0", "Accept-Encoding: zstd",
                "Range: bytes=0-0", "X-Private: 1", "Connection: X-Private", "Keep-Alive: timeout=5",
                "Proxy-Authorization: Basic eA==", "TE: trailers", "OTA-File-Cache-Control: no_cache");
        assertEquals(200, r.status);
        final RecordedRequest seen = origin.requests().get(0);
        assertEquals("Bearer abc", seen.header("Authorization"));
        assertEquals("a=b", seen.header("Cookie"));
        assertEquals("ecu/1.0", seen.header("User-Agent"));
        assertEquals("zstd", seen.header("Accept-Encoding"));
        assertEquals("bytes=0-0", seen.header("Range"));
        assertEquals("127.0.0.1:" + origin.port(), seen.header("Host"));
        assertNull("named by Connection", seen.header("X-Private"));
        assertNull(seen.header("Keep-Alive"));
        assertNull(seen.header("Proxy-Authorization"));
        assertNull(seen.header("TE"));
        assertNull("only an upper proxy gets the OTA directives", seen.header("OTA-File-Cache-Control"));
    }

    @Test
    public void upstreamStatusAndHeadersPassThrough() throws IOException {
        origin.put("/missing-here", Behaviour.status(404, "no such file".getBytes(StandardCharsets.UTF_8)));
        final RawHttpClient.Response r = RawHttpClient.get(proxyPort(), origin.url("/missing-here"));
        assertEquals(404, r.status);
        assertEquals("no such file", r.bodyText());

        origin.put("/typed", Behaviour.ok(new byte[] {1, 2, 3}).header("Content-Type", "application/x-test")
                .header("ETag", "\"v1\""));
        final RawHttpClient.Response typed = RawHttpClient.get(proxyPort(), origin.url("/typed"));
        assertEquals("application/x-test", typed.header("Content-Type"));
        assertEquals("\"v1\"", typed.header("ETag"));
        assertEquals("3", typed.header("Content-Length"));
    }

    @Test
    public void headIsRelayedWithoutABody() throws IOException {
        origin.put("/big", TestData.generate(100_000, 2));
        final RawHttpClient.Response r = RawHttpClient.exchange(proxyPort(), "HEAD", origin.url("/big"), true);
        assertEquals(200, r.status);
        assertEquals("100000", r.header("Content-Length"));
        assertEquals("HEAD", origin.requests().get(0).method());
    }

    @Test
    public void unreachableUpstreamIs502() throws IOException {
        final int closed = freePort();
        final RawHttpClient.Response r = RawHttpClient.get(proxyPort(), "http://127.0.0.1:" + closed + "/f");
        assertEquals(502, r.status);
        assertTrue(r.bodyText(), r.bodyText().startsWith("Failed to connect to remote"));
    }

    @Test
    public void silentUpstreamIs504() throws IOException {
        origin.put("/stall", Behaviour.stallBeforeHeaders());
        final long start = System.nanoTime();
        final RawHttpClient.Response r = RawHttpClient.get(proxyPort(), origin.url("/stall"));
        assertEquals(504, r.status);
        assertTrue("read timeout is 2 s", System.nanoTime() - start < 15_000_000_000L);
    }

    @Test
    public void truncatedUpstreamBodyAbortsTheClientConnection() throws IOException {
        origin.put("/short", Behaviour.generated(1_000_000, 3).truncatedAfter(300_000));
        final RawHttpClient.Response r = RawHttpClient.get(proxyPort(), origin.url("/short"));
        assertEquals(200, r.status);
        assertEquals("1000000", r.header("Content-Length"));
        assertFalse("a short body must never look complete", r.complete);
    }

    @Test
    public void truncatedChunkedUpstreamBodyAbortsTheClientConnection() throws IOException {
        origin.put("/short-chunked", Behaviour.generated(1_000_000, 4).chunked(8192).chunkedTruncatedAfter(300_000));
        final RawHttpClient.Response r = RawHttpClient.get(proxyPort(), origin.url("/short-chunked"));
        assertEquals(200, r.status);
        assertFalse("no terminating chunk after an upstream failure", r.complete);
    }

    @Test
    public void upstreamStallMidBodyAbortsAfterTheReadTimeout() throws IOException {
        origin.put("/stall-mid", Behaviour.generated(1_000_000, 5).stallAfter(100_000));
        final RawHttpClient.Response r = RawHttpClient.get(proxyPort(), origin.url("/stall-mid"));
        assertEquals(200, r.status);
        assertFalse(r.complete);
    }

    @Test
    public void requestsAddressedToTheProxyItselfGet400() throws IOException {
        final RawHttpClient.Response origin = RawHttpClient.exchange(proxyPort(), "GET", "/", true);
        assertEquals(400, origin.status);
        assertEquals("We are not HTTP server but a proxy server.", origin.bodyText().trim());
        for (final String self : List.of("http://127.0.0.1:" + proxyPort() + "/x",
                "http://localhost:" + proxyPort() + "/x")) {
            assertEquals(self, 400, RawHttpClient.get(proxyPort(), self).status);
        }
    }

    @Test
    public void otherMethodsGet405WithAllow() throws IOException {
        origin.put("/m", new byte[] {1});
        for (final String method : List.of("POST", "PUT", "DELETE", "OPTIONS", "PATCH")) {
            final RawHttpClient.Response r = RawHttpClient.exchange(proxyPort(), method, origin.url("/m"), true);
            assertEquals(method, 405, r.status);
            assertNotNull(method, r.header("Allow"));
            assertTrue(r.header("Allow").contains("GET"));
        }
        final RawHttpClient.Response connect = RawHttpClient.send(proxyPort(),
                ("CONNECT 127.0.0.1:" + origin.port() + " HTTP/1.1\r\nHost: 127.0.0.1:" + origin.port()
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII), false, true);
        assertEquals(405, connect.status);
        assertEquals("nothing reached upstream", 0, origin.requests().size());
    }
}
