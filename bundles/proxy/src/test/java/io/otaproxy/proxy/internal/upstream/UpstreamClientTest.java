package io.otaproxy.proxy.internal.upstream;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import io.otaproxy.testing.Behaviour;
import io.otaproxy.testing.FreePorts;
import io.otaproxy.testing.RecordedRequest;
import io.otaproxy.testing.TestData;
import io.otaproxy.testing.TestOrigin;

/** The upstream client against a real (scripted) origin on 127.0.0.1: framing, faults, pooling, redirects. */
public class UpstreamClientTest {

    private static final int READ_TIMEOUT = 500;

    private TestOrigin origin;
    private UpstreamClient client;

    @Before
    public void setUp() {
        origin = TestOrigin.start();
        client = new UpstreamClient(settings().build());
    }

    @After
    public void tearDown() {
        client.close();
        origin.close();
    }

    private static UpstreamSettings.Builder settings() {
        return UpstreamSettings.builder().connectTimeoutMillis(2000).readTimeoutMillis(READ_TIMEOUT);
    }

    @SafeVarargs
    private UpstreamRequest get(final String path, final Map.Entry<String, String>... headers) {
        return new UpstreamRequest("GET", UpstreamTarget.parse(origin.url(path)), List.of(headers));
    }

    private static byte[] readAll(final UpstreamResponse r) throws IOException {
        return r.body().readAllBytes();
    }

    // ------------------------------------------------------------------ request side

    @Test
    public void sendsExactlyHostAndGivenHeadersInOrder() throws IOException {
        origin.put("/h", "x".getBytes(StandardCharsets.US_ASCII));
        try (UpstreamResponse r = client.send(get("/h", Map.entry("Accept", "*/*"), Map.entry("X-Ota", "a, b"),
                Map.entry("accept", "second")))) {
            readAll(r);
        }
        final RecordedRequest req = origin.lastRequest();
        assertEquals("GET", req.method());
        assertEquals("HTTP/1.1", req.version());
        assertEquals(List.of("Host", "Accept", "X-Ota", "accept"), req.headerNames());
        assertEquals(origin.authority(), req.header("Host"));
        assertEquals("a, b", req.header("X-Ota"));
        assertEquals(List.of("*/*", "second"), req.headerValues("Accept"));
        assertEquals(0, req.body().length);
    }

    @Test
    public void hostHeaderIsTheAuthorityAsWritten() throws IOException {
        origin.put("/p", "x".getBytes(StandardCharsets.US_ASCII));
        final UpstreamTarget t = new UpstreamTarget("http", "127.0.0.1", origin.port(), "LocalHost.Example", "/p");
        try (UpstreamResponse r = client.send(new UpstreamRequest("GET", t))) {
            readAll(r);
        }
        assertEquals("LocalHost.Example", origin.lastRequest().header("host"));
    }

    // ------------------------------------------------------------------ body framing

    @Test
    public void contentLengthBody() throws IOException {
        origin.put("/cl", "hello world".getBytes(StandardCharsets.US_ASCII), Map.of("X-Extra", "1"));
        try (UpstreamResponse r = client.send(get("/cl"))) {
            assertEquals(200, r.status());
            assertEquals("OK", r.reason());
            assertEquals(11, r.contentLength());
            assertFalse(r.chunked());
            assertEquals("1", r.headers().first("x-extra"));
            assertEquals("hello world", new String(readAll(r), StandardCharsets.US_ASCII));
        }
    }

    @Test
    public void chunkedBodyIsDecoded() throws IOException {
        final byte[] data = TestData.generate(100_003, 5);
        origin.put("/chunked", Behaviour.ok(data).chunked(1000).header("X-After", "y"));
        try (UpstreamResponse r = client.send(get("/chunked"))) {
            assertTrue(r.chunked());
            assertEquals(-1, r.contentLength());
            assertArrayEquals(data, readAll(r));
        }
        assertEquals(1, origin.connectionCount());
    }

    @Test
    public void largeBodiesArriveIntactInBothFramings() throws Exception {
        final long size = 8L * 1024 * 1024 + 7;
        origin.put("/big", Behaviour.generated(size, 7));
        origin.put("/bigchunked", Behaviour.generated(size, 7).chunked(100_000));
        for (final String path : List.of("/big", "/bigchunked")) {
            try (UpstreamResponse r = client.send(get(path))) {
                assertEquals(path, TestData.sha256(size, 7), sha256(r.body()));
            }
        }
    }

    @Test
    public void bodyWithoutLengthReadsUntilCloseAndIsNotReused() throws IOException {
        origin.put("/eof", Behaviour.ok("until the end").withoutLength());
        for (int i = 0; i < 2; i++) {
            try (UpstreamResponse r = client.send(get("/eof"))) {
                assertEquals(-1, r.contentLength());
                assertEquals("until the end", new String(readAll(r), StandardCharsets.US_ASCII));
            }
        }
        assertEquals(2, origin.connectionCount());
    }

    @Test
    public void headHasLengthButNoBodyAndKeepsConnection() throws IOException {
        origin.put("/file", Behaviour.generated(123_456, 1));
        final UpstreamRequest head = new UpstreamRequest("HEAD", UpstreamTarget.parse(origin.url("/file")));
        try (UpstreamResponse r = client.send(head)) {
            assertEquals(200, r.status());
            assertEquals(123_456, r.contentLength());
            assertEquals(-1, r.body().read());
        }
        try (UpstreamResponse r = client.send(get("/file"))) {
            assertEquals(123_456, readAll(r).length);
        }
        assertEquals("HEAD", origin.requests().get(0).method());
        assertEquals(1, origin.connectionCount());
    }

    @Test
    public void noBodyFor204And304() throws IOException {
        origin.put("/204", Behaviour.status(204));
        origin.put("/304", Behaviour.status(304).header("Content-Length", "99"));
        try (UpstreamResponse r = client.send(get("/204"))) {
            assertEquals(204, r.status());
            assertEquals(-1, r.body().read());
        }
        try (UpstreamResponse r = client.send(get("/304"))) {
            assertEquals(304, r.status());
            assertEquals(99, r.contentLength());
            assertEquals(-1, r.body().read());
        }
        assertEquals(1, origin.connectionCount());
    }

    @Test
    public void interimResponsesAreSkipped() throws IOException {
        origin.put("/100", Behaviour.raw("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        try (UpstreamResponse r = client.send(get("/100"))) {
            assertEquals(200, r.status());
            assertNull(r.headers().first("Link"));
            assertEquals("ok", new String(readAll(r), StandardCharsets.US_ASCII));
        }
    }

    // ------------------------------------------------------------------ faults in the body

    @Test
    public void truncatedFixedLengthBodyThrows() throws IOException {
        origin.put("/trunc", Behaviour.generated(5000, 3).truncatedAfter(1000));
        try (UpstreamResponse r = client.send(get("/trunc"))) {
            readAll(r);
            fail("truncated body read as complete");
        } catch (final UpstreamTruncatedException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("after 1000 of 5000 bytes"));
        }
    }

    @Test
    public void truncatedChunkedBodyThrows() throws IOException {
        for (final long cut : new long[] {3000, 2500}) {
            origin.put("/ctrunc", Behaviour.generated(5000, 3).chunked(1000).chunkedTruncatedAfter(cut));
            try (UpstreamResponse r = client.send(get("/ctrunc"))) {
                readAll(r);
                fail("truncated chunked body read as complete, cut at " + cut);
            } catch (final UpstreamTruncatedException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("chunked"));
            }
        }
    }

    @Test
    public void chunkedBodyWithoutLastChunkAtCleanBoundaryThrows() throws IOException {
        origin.put("/nolast", Behaviour.generated(3000, 3).chunked(1000).truncatedAfter(3000));
        try (UpstreamResponse r = client.send(get("/nolast"))) {
            assertEquals(3000, readUpTo(r.body(), 3000));
            try {
                r.body().read();
                fail("missing last chunk not detected");
            } catch (final UpstreamTruncatedException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("after 3000 bytes"));
            }
        }
    }

    @Test
    public void resetMidBodyThrows() throws IOException {
        origin.put("/reset", Behaviour.generated(1_000_000, 3).resetAfter(10_000));
        try (UpstreamResponse r = client.send(get("/reset"))) {
            readAll(r);
            fail("reset body read as complete");
        } catch (final IOException e) {
            // connection reset or truncation, depending on when the RST overtakes the data
        }
    }

    @Test
    public void idleStallMidBodyTimesOut() throws IOException {
        origin.put("/stall", Behaviour.generated(100_000, 3).stallAfter(1000));
        try (UpstreamResponse r = client.send(get("/stall"))) {
            final long start = System.nanoTime();
            try {
                readAll(r);
                fail("stalled body read as complete");
            } catch (final SocketTimeoutException e) {
                final long millis = (System.nanoTime() - start) / 1_000_000;
                // the upper bound only tells a timeout from a hang: a busy machine may take longer than the timeout
                assertTrue("took " + millis + " ms", millis >= READ_TIMEOUT - 50 && millis < 10_000 + READ_TIMEOUT);
            }
        }
    }

    @Test
    public void badChunkSizeIsAProtocolError() throws IOException {
        origin.put("/badchunk", Behaviour.raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"));
        try (UpstreamResponse r = client.send(get("/badchunk"))) {
            readAll(r);
            fail("bad chunk size accepted");
        } catch (final UpstreamProtocolException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("chunk size"));
        }
    }

    // ------------------------------------------------------------------ failures before the body

    @Test
    public void stallBeforeHeadersIsATimeout() throws IOException {
        origin.put("/slow", Behaviour.stallBeforeHeaders());
        final long start = System.nanoTime();
        try (UpstreamResponse r = client.send(get("/slow"))) {
            fail("got " + r);
        } catch (final UpstreamTimeoutException e) {
            final long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue("took " + millis + " ms", millis < 10_000 + READ_TIMEOUT); // a timeout, not a hang
        }
    }

    @Test
    public void refusedConnectionIsAConnectError() throws IOException {
        final UpstreamTarget t = UpstreamTarget.parse("http://127.0.0.1:" + FreePorts.find() + "/x");
        try (UpstreamResponse r = client.send(new UpstreamRequest("GET", t))) {
            fail("got " + r);
        } catch (final UpstreamConnectException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("127.0.0.1"));
        }
    }

    @Test
    public void unknownHostIsAConnectError() throws IOException {
        final UpstreamTarget t = UpstreamTarget.parse("http://no-such-host.invalid/x");
        try (UpstreamResponse r = client.send(new UpstreamRequest("GET", t))) {
            fail("got " + r);
        } catch (final UpstreamConnectException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("no-such-host.invalid"));
        }
    }

    @Test
    public void httpsToAPlainPortFailsToConnect() throws IOException {
        final UpstreamTarget t = UpstreamTarget.parse("https://127.0.0.1:" + origin.port() + "/x");
        try (UpstreamResponse r = client.send(new UpstreamRequest("GET", t))) {
            fail("got " + r);
        } catch (final UpstreamConnectException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("TLS"));
        }
    }

    @Test
    public void malformedResponseHeadsAreProtocolErrors() throws IOException {
        final StringBuilder many = new StringBuilder("HTTP/1.1 200 OK\r\n");
        for (int i = 0; i < 201; i++) {
            many.append("X-H").append(i).append(": v\r\n");
        }
        final Map<String, String> cases = Map.of(
                "/garbage", "this is not http\r\n\r\n",
                "/badstatus", "HTTP/1.1 2x0 OK\r\n\r\n",
                "/http2", "HTTP/2 200\r\n\r\n",
                "/conflict", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
                "/badlength", "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n",
                "/longline", "HTTP/1.1 200 OK\r\nX-Big: " + "a".repeat(17_000) + "\r\n\r\n",
                "/toomany", many + "\r\n",
                "/badname", "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
                "/eofhead", "HTTP/1.1 200 OK\r\nContent-Le");
        for (final Map.Entry<String, String> c : cases.entrySet()) {
            origin.put(c.getKey(), Behaviour.raw(c.getValue()));
            try (UpstreamResponse r = client.send(get(c.getKey()))) {
                fail(c.getKey() + " accepted: " + r);
            } catch (final UpstreamProtocolException e) {
                // expected
            }
        }
    }

    @Test
    public void closedWithoutResponseIsAProtocolError() throws IOException {
        origin.put("/nothing", Behaviour.raw(new byte[0]));
        try (UpstreamResponse r = client.send(get("/nothing"))) {
            fail("got " + r);
        } catch (final UpstreamProtocolException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("without sending a response"));
        }
    }

    // ------------------------------------------------------------------ connection reuse

    @Test
    public void keepAliveReusesOneConnection() throws IOException {
        origin.put("/k1", "one".getBytes(StandardCharsets.US_ASCII));
        origin.put("/k2", Behaviour.ok("two").chunked(1));
        try (UpstreamResponse r = client.send(get("/k1"))) {
            assertEquals("one", new String(readAll(r), StandardCharsets.US_ASCII));
        }
        assertEquals(1, client.idleConnections());
        try (UpstreamResponse r = client.send(get("/k2"))) {
            assertEquals("two", new String(readAll(r), StandardCharsets.US_ASCII));
        }
        assertEquals(1, origin.connectionCount());
        assertEquals(origin.requests().get(0).connection(), origin.requests().get(1).connection());
    }

    @Test
    public void unreadOrClosingResponsesAreNotReused() throws IOException {
        origin.put("/big", Behaviour.generated(1_000_000, 1));
        origin.put("/close", Behaviour.ok("bye").closeAfterResponse());
        try (UpstreamResponse r = client.send(get("/big"))) {
            assertTrue(r.body().read(new byte[10]) > 0);
        }
        try (UpstreamResponse r = client.send(get("/close"))) {
            assertEquals("bye", new String(readAll(r), StandardCharsets.US_ASCII));
        }
        assertEquals(0, client.idleConnections());
        assertEquals(2, origin.connectionCount());
    }

    @Test
    public void deadPooledConnectionIsRetriedOnceOnAFreshOne() throws IOException {
        origin.put("/drop", Behaviour.ok("first").silentlyCloseAfterResponse());
        origin.put("/next", Behaviour.ok("second"));
        try (UpstreamResponse r = client.send(get("/drop"))) {
            assertEquals("first", new String(readAll(r), StandardCharsets.US_ASCII));
        }
        assertEquals(1, client.idleConnections());
        try (UpstreamResponse r = client.send(get("/next"))) {
            assertEquals("second", new String(readAll(r), StandardCharsets.US_ASCII));
        }
        assertEquals(2, origin.connectionCount());
        assertEquals(1, origin.requestCount("/next"));
    }

    @Test
    public void closedClientStillServesButDoesNotPool() throws IOException {
        origin.put("/c", "c".getBytes(StandardCharsets.US_ASCII));
        client.close();
        for (int i = 0; i < 2; i++) {
            try (UpstreamResponse r = client.send(get("/c"))) {
                readAll(r);
            }
        }
        assertEquals(0, client.idleConnections());
        assertEquals(2, origin.connectionCount());
    }

    // ------------------------------------------------------------------ redirects

    @Test
    public void redirectsAreFollowed() throws IOException {
        origin.put("/r1", Behaviour.redirect(302, "/r2?x=%41"));
        origin.put("/r2?x=%41", Behaviour.redirect(301, origin.url("/dir/r3")));
        origin.put("/dir/r3", Behaviour.redirect(307, "r4#fragment"));
        origin.put("/dir/r4", Behaviour.redirect(308, "//" + origin.authority() + "/final"));
        origin.put("/final", Behaviour.ok("arrived"));
        try (UpstreamResponse r = client.send(get("/r1", Map.entry("X-Keep", "1")))) {
            assertEquals(200, r.status());
            assertEquals("arrived", new String(readAll(r), StandardCharsets.US_ASCII));
            assertEquals(origin.url("/final"), r.target().toUrl());
        }
        final List<RecordedRequest> requests = origin.requests();
        assertEquals(5, requests.size());
        assertEquals("/dir/r4", requests.get(3).target());
        assertEquals("1", requests.get(4).header("X-Keep"));
        // small redirect bodies are drained, so one connection carries the whole chain
        assertEquals(1, origin.connectionCount());
    }

    @Test
    public void redirectLimitReturnsLastRedirect() throws IOException {
        client.close();
        client = new UpstreamClient(settings().maxRedirects(2).build());
        origin.put("/loop", Behaviour.redirect(302, "/loop"));
        try (UpstreamResponse r = client.send(get("/loop"))) {
            assertEquals(302, r.status());
            assertEquals("/loop", r.headers().first("Location"));
        }
        assertEquals(3, origin.requestCount("/loop"));
    }

    @Test
    public void zeroRedirectsReturnsTheFirst3xx() throws IOException {
        client.close();
        client = new UpstreamClient(settings().maxRedirects(0).build());
        origin.put("/once", Behaviour.redirect(301, "/elsewhere"));
        try (UpstreamResponse r = client.send(get("/once"))) {
            assertEquals(301, r.status());
        }
        assertEquals(0, origin.requestCount("/elsewhere"));
    }

    @Test
    public void unusableLocationReturnsTheRedirect() throws IOException {
        origin.put("/badloc", Behaviour.redirect(302, "http://bad host/x"));
        origin.put("/ftp", Behaviour.redirect(302, "ftp://example.com/x"));
        origin.put("/noloc", Behaviour.status(302));
        for (final String path : List.of("/badloc", "/ftp", "/noloc")) {
            try (UpstreamResponse r = client.send(get(path))) {
                assertEquals(path, 302, r.status());
                assertTrue(readAll(r).length > 0);
            }
        }
        assertEquals(3, origin.requests().size());
    }

    @Test
    public void otherStatusesAreNotFollowed() throws IOException {
        origin.put("/300", Behaviour.redirect(300, "/x"));
        origin.put("/305", Behaviour.redirect(305, "/x"));
        for (final String path : List.of("/300", "/305")) {
            try (UpstreamResponse r = client.send(get(path))) {
                assertEquals(Integer.parseInt(path.substring(1)), r.status());
            }
        }
        assertEquals(0, origin.requestCount("/x"));
    }

    @Test
    public void credentialsDoNotFollowRedirectToAnotherOrigin() throws IOException {
        try (TestOrigin other = TestOrigin.start()) {
            other.put("/there", Behaviour.ok("other"));
            origin.put("/away", Behaviour.redirect(302, other.url("/there")));
            try (UpstreamResponse r = client.send(get("/away", Map.entry("Authorization", "Bearer t"),
                    Map.entry("Cookie", "c=1"), Map.entry("Accept", "*/*")))) {
                assertEquals("other", new String(readAll(r), StandardCharsets.US_ASCII));
            }
            final RecordedRequest there = other.lastRequest();
            assertEquals(List.of("Host", "Accept"), there.headerNames());
            assertEquals(other.authority(), there.header("Host"));
            assertEquals("Bearer t", origin.lastRequest().header("Authorization"));
        }
    }

    // ------------------------------------------------------------------ upper proxy

    @Test
    public void upperProxyGetsAbsoluteFormAndHost() throws IOException {
        try (TestOrigin proxy = TestOrigin.start()) {
            proxy.put("/path?q=1", Behaviour.ok("via proxy"));
            final UpstreamClient proxied = new UpstreamClient(settings().upperProxy("http://127.0.0.1:" + proxy.port()).build());
            try {
                final UpstreamTarget plain = UpstreamTarget.parse("http://updates.example:8080/path?q=1");
                try (UpstreamResponse r = proxied.send(new UpstreamRequest("GET", plain, List.of(Map.entry("X-A", "b"))))) {
                    assertEquals("via proxy", new String(readAll(r), StandardCharsets.US_ASCII));
                }
                RecordedRequest received = proxy.lastRequest();
                assertEquals("http://updates.example:8080/path?q=1", received.target());
                assertEquals(List.of("Host", "X-A"), received.headerNames());
                assertEquals("updates.example:8080", received.header("Host"));

                // https targets go to the proxy the same way, in absolute form, without CONNECT
                final UpstreamTarget secure = UpstreamTarget.parse("https://secure.example/path?q=1");
                try (UpstreamResponse r = proxied.send(new UpstreamRequest("HEAD", secure))) {
                    assertEquals(200, r.status());
                }
                received = proxy.lastRequest();
                assertEquals("HEAD", received.method());
                assertEquals("https://secure.example/path?q=1", received.target());
                assertEquals("secure.example", received.header("Host"));
                assertEquals(1, proxy.connectionCount());
                assertEquals(0, origin.requests().size());
            } finally {
                proxied.close();
            }
        }
    }

    @Test
    public void unreachableUpperProxyIsAConnectError() throws IOException {
        final UpstreamClient proxied = new UpstreamClient(settings().upperProxy("http://127.0.0.1:" + FreePorts.find()).build());
        try (UpstreamResponse r = proxied.send(get("/x"))) {
            fail("got " + r);
        } catch (final UpstreamConnectException e) {
            // expected
        } finally {
            proxied.close();
        }
    }

    // ------------------------------------------------------------------ helpers

    private static int readUpTo(final InputStream in, final int n) throws IOException {
        final byte[] buf = new byte[n];
        int off = 0;
        while (off < n) {
            final int r = in.read(buf, off, n - off);
            if (r < 0) {
                break;
            }
            off += r;
        }
        return off;
    }

    private static String sha256(final InputStream in) throws Exception {
        final MessageDigest md = MessageDigest.getInstance("SHA-256");
        final byte[] buf = new byte[64 * 1024];
        int n;
        while ((n = in.read(buf)) >= 0) {
            md.update(buf, 0, n);
        }
        final StringBuilder hex = new StringBuilder();
        for (final byte b : md.digest()) {
            hex.append(String.format("%02x", b));
        }
        return hex.toString();
    }
}
