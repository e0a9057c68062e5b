package io.otaproxy.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.otaproxy.testing.RawHttpClient;
import io.otaproxy.testing.RecordedRequest;
import io.otaproxy.testing.TestData;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * Hostile clients against the real bundle set over raw sockets: malformed requests, bad Host headers, oversized
 * heads, smuggling attempts, bad escapes, path traversal, non-HTTP bytes, slow and idle connections. Each gets a
 * 4xx or a close, nothing reaches upstream that should not, nothing is written outside cache_dir, and a normal
 * client is served throughout.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HostileInputIT extends ProxyTestSupport {

    private static final int LIMIT_MS = 10_000;
    /**
     * Short, so that the slow-header tests do not take a minute; the idle timeout is well beyond the deadline, so that
     * a busy machine enforcing the deadline late is not taken for the idle timeout.
     */
    private static final int HEAD_TIMEOUT_S = 2;
    private static final int IDLE_TIMEOUT_S = 8;

    @Override
    protected String extraYaml() {
        return "client_idle_timeout_s: " + IDLE_TIMEOUT_S + "\nclient_header_timeout_s: " + HEAD_TIMEOUT_S + "\n";
    }

    private RawExchange raw(final String request) throws IOException {
        return RawExchange.send(proxyPort(), RawExchange.ascii(request), LIMIT_MS);
    }

    private static boolean refused(final RawExchange r) {
        return r.status == RawExchange.CLOSED || r.status >= 400 && r.status < 500;
    }

    /** A normal client still gets its file, byte-exact. */
    private void normalClientIsServed(final String path) throws IOException {
        final byte[] body = TestData.generate(200_000, path.hashCode());
        origin.put(path, body);
        final RawHttpClient.Response r = RawHttpClient.get(proxyPort(), origin.url(path));
        assertEquals(200, r.status);
        assertArrayEquals(body, r.body);
    }

    @Test
    public void malformedRequestLinesAndNonHttpBytesAreRefused() throws IOException {
        final String o = origin.authority();
        final List<byte[]> cases = new ArrayList<>();
        for (final String s : List.of("GARBAGE\r\n\r\n", "GET\r\n\r\n", "GET http://" + o + "/x\r\n\r\n",
                "GET http://" + o + "/x HTTP/9.9\r\nHost: " + o + "\r\n\r\n",
                "GET  http://" + o + "/x HTTP/1.1\r\nHost: " + o + "\r\n\r\n",
                "GET http://" + o + "/x  HTTP/1.1\r\nHost: " + o + "\r\n\r\n",
                "GET http://" + o + "/a b HTTP/1.1\r\nHost: " + o + "\r\n\r\n",
                "G\u00c9T http://" + o + "/x HTTP/1.1\r\nHost: " + o + "\r\n\r\n",
                "GET http://" + o + "/x HTTP/1.1\nHost: " + o + "\n\n\r\n",
                "\r\n\r\n\r\n\r\n", "HTTP/1.1 200 OK\r\n\r\n", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
                "SSH-2.0-OpenSSH_9.6\r\n", "CONNECT " + o + " HTTP/1.1\r\nHost: " + o + "\r\n\r\n",
                "GET http://" + o + "/x HTTP/1.1\r\nHost: " + o + "\r\nNo colon here\r\n\r\n",
                "GET http://" + o + "/x HTTP/1.1\r\nHost: " + o + "\r\n : empty name\r\n\r\n",
                "GET http://" + o + "/x HTTP/1.1\r\nHost: " + o + "\r\nContent-Length: -1\r\n\r\n",
                "GET http://" + o + "/x HTTP/1.1\r\nHost: " + o + "\r\nContent-Length: 5\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")) {
            cases.add(RawExchange.ascii(s));
        }
        // a TLS ClientHello start, NUL bytes, and random binary
        cases.add(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc, 0x03, 0x03});
        cases.add(new byte[64]);
        final Random random = new Random(42);
        for (int i = 0; i < 20; i++) {
            final byte[] junk = new byte[1 + random.nextInt(4096)];
            random.nextBytes(junk);
            cases.add(junk);
        }
        final java.util.Map<Integer, Integer> outcomes = new java.util.TreeMap<>();
        for (final byte[] request : cases) {
            final RawExchange r = RawExchange.send(proxyPort(), request, LIMIT_MS);
            final String label = new String(request, 0, Math.min(60, request.length), StandardCharsets.ISO_8859_1);
            outcomes.merge(r.status, 1, Integer::sum);
            if (r.status != 400) {
                System.out.println("malformed " + label.replace("\r", "\\r").replace("\n", "\\n")
                        .replaceAll("[^\\x20-\\x7e]", "?") + " -> " + r.status);
            }
            // 505 is Jetty's answer to a request line without a version (HTTP/0.9) or with one it does not serve
            final boolean badVersion = label.matches("(?s)GET http://[^ ]+/x(\\r\\n.*| HTTP/9\\.9.*)")
                    || label.startsWith("PRI * HTTP/2.0");
            assertTrue(label + " -> " + r, refused(r) || badVersion && r.status == 505);
        }
        System.out.println("malformed and non-HTTP requests: " + cases.size() + ", outcomes (status=count, -1 = closed): "
                + outcomes);
        // Jetty tolerates a few spellings of a valid request (extra spaces, bare LF line ends, as RFC 9112 allows);
        // those reach upstream as the clean request they mean, and nothing else does
        for (final RecordedRequest seen : origin.requests()) {
            assertEquals(seen.toString(), "GET", seen.method());
            assertEquals(seen.toString(), "/x", seen.target());
            assertEquals(seen.toString(), List.of("Host", "Via"), seen.headerNames());
        }
        System.out.println("tolerated and forwarded as a clean GET /x: " + origin.requests().size());
        normalClientIsServed("/after-garbage");
    }

    @Test
    public void anUnknownOrMalformedHttpVersionIs400AndAKnownUnservedOneIs505() throws IOException {
        final String o = origin.authority();
        for (final String version : List.of("HTTP/1.one", "HTTP/9.9", "HTTP/1.", "HTTPS/1.1")) {
            final RawExchange r = raw("GET http://" + o + "/v " + version + "\r\nHost: " + o + "\r\n\r\n");
            assertEquals(version + " -> " + r, 400, r.status);
        }
        final RawExchange http3 = raw("GET http://" + o + "/v HTTP/3.0\r\nHost: " + o + "\r\n\r\n");
        assertEquals("HTTP/3.0 -> " + http3, 505, http3.status);
        assertEquals(0, origin.requests().size());
    }

    @Test
    public void aGetWithABodyIs400AndTheConnectionCloses() throws IOException {
        final String o = origin.authority();
        origin.put("/b", new byte[] {1});
        final String head = "GET http://" + o + "/b HTTP/1.1\r\nHost: " + o + "\r\n";
        for (final String request : List.of(
                head + "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n", // broken chunk framing
                head + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" + head + "\r\n",
                head + "Content-Length: 5\r\n\r\nhello" + head + "\r\n")) {
            final RawExchange r = raw(request);
            assertEquals(request.replace("\r\n", " | ") + " -> " + r, 400, r.status);
            assertTrue("closed after the 400, no second answer: " + r, r.text.indexOf("HTTP/1.1", 5) < 0);
        }
        assertEquals(0, origin.requests().size());
        final RawExchange empty = raw(head + "Content-Length: 0\r\nConnection: close\r\n\r\n");
        assertEquals("an empty body is no body", 200, empty.status);
    }

    @Test
    public void missingOrInvalidHostIs400() throws IOException {
        final String o = origin.authority();
        origin.put("/h", new byte[] {1});
        for (final String request : List.of(
                "GET /h HTTP/1.1\r\nConnection: close\r\n\r\n",
                "GET /h HTTP/1.1\r\nHost: \r\nConnection: close\r\n\r\n",
                "GET /h HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n",
                "GET /h HTTP/1.1\r\nHost: [::1\r\nConnection: close\r\n\r\n",
                "GET /h HTTP/1.1\r\nHost: " + o.replaceAll(":\\d+$", ":99999") + "\r\nConnection: close\r\n\r\n",
                "GET /h HTTP/1.1\r\nHost: user@" + o + "\r\nConnection: close\r\n\r\n",
                "GET /h HTTP/1.1\r\nHost: " + o + "\r\nHost: " + o + "\r\nConnection: close\r\n\r\n",
                "GET http://" + o + "/h HTTP/1.1\r\nHost: other.example\r\nConnection: close\r\n\r\n",
                "GET http:///h HTTP/1.1\r\nHost: " + o + "\r\nConnection: close\r\n\r\n",
                "GET http://" + o + "/h HTTP/1.1\r\nHost: " + o + "\r\nHost: other.example\r\nConnection: close\r\n\r\n")) {
            final RawExchange r = raw(request);
            assertEquals(request.replace("\r\n", " | ") + " -> " + r, 400, r.status);
        }
        assertEquals(0, origin.requests().size());
    }

    @Test
    public void oversizeHeadersAre431AndOverlongUrlsAre414() throws IOException {
        final String o = origin.authority();
        final RawExchange headers = raw("GET http://" + o + "/x HTTP/1.1\r\nHost: " + o + "\r\nX-Big: "
                + "a".repeat(20_000) + "\r\nConnection: close\r\n\r\n");
        assertEquals(headers.toString(), 431, headers.status);
        final StringBuilder many = new StringBuilder("GET http://" + o + "/x HTTP/1.1\r\nHost: " + o + "\r\n");
        for (int i = 0; i < 1_000; i++) {
            many.append("X-H").append(i).append(": ").append("v".repeat(20)).append("\r\n");
        }
        final RawExchange manyHeaders = raw(many + "Connection: close\r\n\r\n");
        assertEquals(manyHeaders.toString(), 431, manyHeaders.status);
        final RawExchange url = raw("GET http://" + o + "/" + "p".repeat(20_000) + " HTTP/1.1\r\nHost: " + o
                + "\r\nConnection: close\r\n\r\n");
        assertEquals(url.toString(), 414, url.status);
        final RawExchange query = raw("GET http://" + o + "/x?" + "q=1&".repeat(5_000) + " HTTP/1.1\r\nHost: " + o
                + "\r\nConnection: close\r\n\r\n");
        assertEquals(query.toString(), 414, query.status);
        assertEquals(0, origin.requests().size());
        // a long but reasonable pre-signed URL still passes
        final String signed = "/f?sig=" + "s".repeat(4_000);
        origin.put(signed, new byte[] {7});
        assertEquals(200, RawHttpClient.get(proxyPort(), origin.url(signed)).status);
        normalClientIsServed("/after-oversize");
    }

    @Test
    public void headerInjectionNeverReachesUpstream() throws IOException {
        final String o = origin.authority();
        origin.put("/s", new byte[] {1});
        // bare CR, CR without LF, obsolete line folding, NUL, and a CRLF pair hidden in the target
        for (final String request : List.of(
                "GET http://" + o + "/s HTTP/1.1\r\nHost: " + o + "\r\nX-A: a\rInjected: 1\r\nConnection: close\r\n\r\n",
                "GET http://" + o + "/s HTTP/1.1\r\nHost: " + o + "\r\nX-A: a\r\n Injected: 1\r\nConnection: close\r\n\r\n",
                "GET http://" + o + "/s HTTP/1.1\r\nHost: " + o + "\r\nX-A: a\u0000Injected: 1\r\nConnection: close\r\n\r\n",
                "GET http://" + o + "/s\rInjected: 1 HTTP/1.1\r\nHost: " + o + "\r\nConnection: close\r\n\r\n")) {
            final RawExchange r = raw(request);
            System.out.println("injection attempt -> " + r.status);
            assertTrue(request.replace("\r", "\\r").replace("\n", "\\n") + " -> " + r,
                    refused(r) || r.status == 200);
        }
        // escapes in the target are forwarded as the same bytes, never decoded into line breaks
        final String encoded = "/s%0d%0aInjected:%201";
        origin.put(encoded, new byte[] {2});
        assertEquals(200, RawHttpClient.get(proxyPort(), origin.url(encoded)).status);
        for (final RecordedRequest seen : origin.requests()) {
            assertEquals("no injected header upstream: " + seen.headerNames(), null, seen.header("Injected"));
            for (final String name : seen.headerNames()) {
                assertFalse(name, name.contains("\r") || name.contains("\n"));
            }
        }
        assertEquals(encoded, origin.lastRequest().target());
    }

    @Test
    public void invalidPercentEncodingIsForwardedAsSentOrRefused() throws IOException {
        for (final String path : List.of("/bad%zz", "/bad%", "/bad%%", "/bad%2", "/bad%c3%28", "/bad%00nul",
                "/bad%ff%fe")) {
            origin.put(path, ("ok " + path).getBytes(StandardCharsets.UTF_8));
            final RawExchange r = raw("GET http://" + origin.authority() + path + " HTTP/1.1\r\nHost: "
                    + origin.authority() + "\r\nConnection: close\r\n\r\n");
            System.out.println("escape " + path + " -> " + r.status);
            if (r.status == 200) {
                assertEquals("forwarded byte-exact", path, origin.lastRequest().target());
            } else {
                assertEquals(path + " -> " + r, 400, r.status);
            }
        }
        normalClientIsServed("/after-escapes");
    }

    @Test
    public void pathTraversalWritesNothingOutsideTheCacheDirectory() throws IOException {
        final Path cacheDir = work().resolve("cache");
        final Set<Path> outsideBefore = filesOutside(work(), cacheDir);
        final String marker = "ota-traversal-" + UUID.randomUUID();
        final List<String> traversals = List.of("/../../../../../../tmp/" + marker,
                "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/tmp/" + marker, "/..%2f..%2f..%2f..%2ftmp%2f" + marker,
                "/..%5c..%5c..%5ctmp%5c" + marker, "/x/../../" + marker, "/%252e%252e/" + marker,
                "/" + marker + "/..", "/.%00./" + marker);
        for (final String path : traversals) {
            origin.put(path, marker.getBytes(StandardCharsets.US_ASCII));
            final RawExchange r = raw("GET http://" + origin.authority() + path + " HTTP/1.1\r\nHost: "
                    + origin.authority() + "\r\nConnection: close\r\n\r\n");
            System.out.println("traversal " + path + " -> " + r.status);
            assertTrue(path + " -> " + r, r.status == 200 || r.status == 400 || r.status == RawExchange.CLOSED);
        }
        // the sha256 header names a file: anything but 64 hex digits is refused before the cache is touched
        for (final String sha : List.of("../../../../tmp/" + marker, "/tmp/" + marker, "..", "%2e%2e%2f" + marker,
                "a".repeat(63) + "/", "a".repeat(64) + "/../" + marker, "a".repeat(64) + "\u0000")) {
            origin.put("/sha", new byte[] {3});
            final RawExchange r = raw("GET " + origin.url("/sha") + " HTTP/1.1\r\nHost: " + origin.authority()
                    + "\r\nOTA-File-Cache-Control: file_sha256=" + sha + "\r\nConnection: close\r\n\r\n");
            System.out.println("file_sha256 traversal -> " + r.status);
            assertTrue(sha + " -> " + r, r.status == 400 || r.status == RawExchange.CLOSED);
        }
        assertEquals("nothing new outside cache_dir", outsideBefore, filesOutside(work(), cacheDir));
        try (Stream<Path> all = Files.walk(cacheDir)) {
            final List<Path> named = all.filter(p -> p.toString().contains(marker) || p.toString().contains(".."))
                    .collect(Collectors.toList());
            assertEquals("no cache file is named after the request", List.of(), named);
        }
        final Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        try (Stream<Path> all = Files.walk(tmp, 3)) {
            final List<Path> escaped = all.filter(p -> p.getFileName() != null
                    && p.getFileName().toString().equals(marker)).collect(Collectors.toList());
            assertEquals(List.of(), escaped);
        } catch (final java.io.UncheckedIOException e) {
            // another process's unreadable directory under tmp: the cache_dir checks above still hold
        }
        assertFalse(Files.exists(Path.of("/tmp", marker)));
        normalClientIsServed("/after-traversal");
    }

    /** Reads until the peer closes; the milliseconds from {@code since} to the close. */
    private static long millisUntilClosed(final Socket socket, final long since, final int limitMillis)
            throws IOException {
        socket.setSoTimeout(limitMillis);
        final InputStream in = socket.getInputStream();
        try {
            final byte[] answer = in.readAllBytes();
            final String text = new String(answer, StandardCharsets.ISO_8859_1);
            assertTrue(text, text.isEmpty() || text.startsWith("HTTP/1.1 408") || text.startsWith("HTTP/1.1 400"));
        } catch (final SocketTimeoutException e) {
            throw new AssertionError("the connection was never closed", e);
        } catch (final IOException e) {
            // reset: closed as well
        }
        return (System.nanoTime() - since) / 1_000_000;
    }

    @Test
    public void aSilentConnectionIsClosedAtTheHeadDeadline() throws IOException {
        try (Socket silent = RawExchange.connect("127.0.0.1", proxyPort())) {
            final long opened = System.nanoTime();
            normalClientIsServed("/while-silent");
            final long closed = millisUntilClosed(silent, opened, 20_000);
            System.out.println("silent connection closed after " + closed + " ms");
            assertTrue("head deadline " + HEAD_TIMEOUT_S + " s, closed after " + closed + " ms",
                    closed >= HEAD_TIMEOUT_S * 900L && closed < IDLE_TIMEOUT_S * 1000L);
        }
    }

    @Test
    public void aTricklingHeadIsClosedAtTheDeadlineThoughEveryByteResetsTheIdleTimer() throws Exception {
        final byte[] head = RawExchange.ascii("GET " + origin.url("/slow") + " HTTP/1.1\r\nHost: "
                + origin.authority() + "\r\nUser-Agent: slowloris\r\n\r\n");
        try (Socket slow = RawExchange.connect("127.0.0.1", proxyPort())) {
            final long opened = System.nanoTime();
            final Thread trickle = new Thread(() -> {
                try {
                    for (final byte b : head) {
                        slow.getOutputStream().write(b);
                        slow.getOutputStream().flush();
                        Thread.sleep(250); // 4 bytes a second: the whole head would take about 20 s
                    }
                } catch (final IOException | InterruptedException e) {
                    // closed by the proxy: expected
                }
            });
            trickle.start();
            normalClientIsServed("/while-trickling");
            final long closed = millisUntilClosed(slow, opened, 20_000);
            trickle.interrupt();
            trickle.join(5_000);
            System.out.println("trickling connection closed after " + closed + " ms");
            // the whole head would take about 20 s: closing well before that is the deadline's doing
            assertTrue("closed after " + closed + " ms", closed >= HEAD_TIMEOUT_S * 900L && closed < 12_000);
        }
        assertEquals(0, origin.requestCount("/slow"));
    }

    @Test
    public void aKeptAliveConnectionIsLeftToTheIdleTimeout() throws IOException {
        origin.put("/keep", new byte[] {1, 2, 3});
        try (Socket socket = RawExchange.connect("127.0.0.1", proxyPort())) {
            final long opened = System.nanoTime();
            socket.getOutputStream().write(RawExchange.ascii("GET " + origin.url("/keep") + " HTTP/1.1\r\nHost: "
                    + origin.authority() + "\r\n\r\n"));
            socket.getOutputStream().flush();
            socket.setSoTimeout(10_000);
            final InputStream in = socket.getInputStream();
            final StringBuilder response = new StringBuilder();
            while (!response.toString().endsWith("\r\n\r\n")) {
                response.append((char) in.read());
            }
            assertTrue(response.toString(), response.toString().startsWith("HTTP/1.1 200"));
            assertEquals(3, in.readNBytes(3).length);
            final long answered = System.nanoTime();
            final long idle = millisUntilClosed(socket, answered, 20_000);
            final long sinceOpen = (System.nanoTime() - opened) / 1_000_000;
            System.out.println("kept-alive connection closed " + idle + " ms after its response");
            assertTrue("the head deadline does not apply after a request: " + sinceOpen + " ms",
                    sinceOpen > HEAD_TIMEOUT_S * 1000L + 1_000);
            assertTrue("idle timeout " + IDLE_TIMEOUT_S + " s: " + idle + " ms", idle >= IDLE_TIMEOUT_S * 900L);
        }
    }

    private static Set<Path> filesOutside(final Path root, final Path excluded) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            return all.filter(p -> !p.startsWith(excluded)).filter(p -> !p.getFileName().toString().endsWith(".tmp"))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }
}
