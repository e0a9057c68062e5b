package io.otaproxy.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.otaproxy.testing.Behaviour;
import io.otaproxy.testing.RawHttpClient;
import io.otaproxy.testing.RecordedRequest;
import io.otaproxy.testing.TestData;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * The cache as an HTTP cache, over the real bundle set: stored headers and validators, 304s, variants, what is
 * never stored, and revalidation when a client asks for it.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HttpCachingIT extends ProxyTestSupport {

    private static final String ORIGIN_DATE = "Sat, 05 Dec 2026 10:00:00 GMT";
    private static final String MODIFIED = "Fri, 04 Dec 2026 09:00:00 GMT";

    private RawHttpClient.Response get(final String path, final String... headers) throws IOException {
        return RawHttpClient.get(proxyPort(), origin.url(path), headers);
    }

    /** Waits until no download is in flight: the last one is an entry (or failed) by then. */
    private void awaitDownloadsCommitted() throws Exception {
        final long deadline = System.currentTimeMillis() + 10_000;
        String metrics = "";
        while (System.currentTimeMillis() < deadline) {
            metrics = RawHttpClient.exchange(adminPort(), "GET", "/metrics", true).bodyText();
            if (metrics.contains("\notaproxy_fills_in_flight 0\n")) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("downloads still in flight:\n" + metrics);
    }

    private static int count(final RawHttpClient.Response r, final String name) {
        int n = 0;
        for (final Map.Entry<String, String> h : r.headers) {
            if (h.getKey().equalsIgnoreCase(name)) {
                n++;
            }
        }
        return n;
    }

    private static byte[] text(final String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static Behaviour validated(final byte[] body, final String etag) {
        return Behaviour.ok(body).header("ETag", etag).header("Last-Modified", MODIFIED)
                .header("Date", ORIGIN_DATE);
    }

    @Test
    public void answersCarryUpstreamsHeadersOneDateAnAgeAndVia() throws IOException {
        origin.put("/doc.txt", validated(text("document"), "\"v1\"").header("Cache-Control", "public")
                .header("Content-Disposition", "attachment; filename=doc.txt").header("Set-Cookie", "s=1"));
        for (final String pass : new String[] {"miss", "hit"}) {
            final RawHttpClient.Response r = get("/doc.txt");
            assertEquals(pass, 200, r.status);
            assertEquals(pass, "document", r.bodyText());
            assertEquals(pass, "\"v1\"", r.header("ETag"));
            assertEquals(pass, MODIFIED, r.header("Last-Modified"));
            assertEquals(pass, "public", r.header("Cache-Control"));
            assertEquals(pass, "attachment; filename=doc.txt", r.header("Content-Disposition"));
            assertEquals(pass + ": exactly one Date, upstream's", 1, count(r, "Date"));
            assertEquals(pass, ORIGIN_DATE, r.header("Date"));
            assertNotNull(pass + ": Via names this proxy", r.header("Via"));
            assertTrue(pass + ": " + r.header("Via"), r.header("Via").startsWith("1.1 "));
            if (pass.equals("hit")) {
                assertNotNull("a hit tells its age", r.header("Age"));
                assertNull("a cookie is one client's, never replayed", r.header("Set-Cookie"));
            }
        }
        assertEquals(1, origin.requestCount("/doc.txt"));
    }

    @Test
    public void aRelayedAnswerHasOneDateAndVia() throws IOException {
        origin.put("/relayed.txt", Behaviour.ok(text("relayed")).header("Date", ORIGIN_DATE));
        final RawHttpClient.Response r = get("/relayed.txt", "OTA-File-Cache-Control: no_cache");
        assertEquals(200, r.status);
        assertEquals(1, count(r, "Date"));
        assertEquals(ORIGIN_DATE, r.header("Date"));
        assertNotNull(r.header("Via"));
    }

    @Test
    public void validatorsOnAHitAreAnsweredFromTheEntry() throws IOException {
        final byte[] body = text("0123456789abcdef");
        origin.put("/v.bin", validated(body, "\"v1\""));
        assertEquals(200, get("/v.bin").status);

        final RawHttpClient.Response same = get("/v.bin", "If-None-Match: \"x\", W/\"v1\"");
        assertEquals(304, same.status);
        assertEquals(0, same.bodyLength);
        assertEquals("\"v1\"", same.header("ETag"));
        assertEquals(200, get("/v.bin", "If-None-Match: \"v0\"").status);
        assertEquals(304, get("/v.bin", "If-Modified-Since: " + MODIFIED).status);
        assertEquals(200, get("/v.bin", "If-Modified-Since: Thu, 03 Dec 2026 09:00:00 GMT").status);

        final RawHttpClient.Response resumed = get("/v.bin", "Range: bytes=10-", "If-Range: \"v1\"");
        assertEquals(206, resumed.status);
        assertEquals("abcdef", resumed.bodyText());
        final RawHttpClient.Response changed = get("/v.bin", "Range: bytes=10-", "If-Range: \"v0\"");
        assertEquals("another representation: the whole body", 200, changed.status);
        assertArrayEquals(body, changed.body);
        assertEquals(206, get("/v.bin", "Range: bytes=10-", "If-Range: " + MODIFIED).status);
        assertEquals("every answer came from the entry", 1, origin.requestCount("/v.bin"));
    }

    @Test
    public void aVaryingResponseIsStoredPerVariant() throws IOException {
        origin.answer("/varies.txt", request -> {
            final String accepted = request.header("Accept-Encoding");
            final boolean gzip = accepted != null && accepted.contains("gzip");
            return Behaviour.ok(text(gzip ? "GZIPPED" : "plain")).header("Vary", "Accept-Encoding")
                    .headers(gzip ? Map.of("Content-Encoding", "gzip") : Map.of());
        });
        assertEquals("GZIPPED", get("/varies.txt", "Accept-Encoding: gzip").bodyText());
        final RawHttpClient.Response plain = get("/varies.txt");
        assertEquals("a client that did not ask for gzip never gets it", "plain", plain.bodyText());
        assertNull(plain.header("Content-Encoding"));
        assertEquals("gzip", get("/varies.txt", "Accept-Encoding: gzip").header("Content-Encoding"));
        assertEquals("plain", get("/varies.txt").bodyText());
        assertEquals("GZIPPED", get("/varies.txt", "Accept-Encoding:  gzip").bodyText());
        assertEquals("one download per variant", 2, origin.requestCount("/varies.txt"));
    }

    @Test
    public void whatUpstreamOrTheClientKeepsPrivateIsNeverStored() throws IOException {
        origin.put("/no-store", Behaviour.ok(text("a")).header("Cache-Control", "no-store"));
        origin.put("/private", Behaviour.ok(text("b")).header("Cache-Control", "private, max-age=60"));
        origin.put("/vary-star", Behaviour.ok(text("c")).header("Vary", "*"));
        origin.put("/authorised", Behaviour.ok(text("d")));
        for (int i = 0; i < 2; i++) {
            assertEquals(200, get("/no-store").status);
            assertEquals(200, get("/private").status);
            assertEquals(200, get("/vary-star").status);
            assertEquals(200, get("/authorised", "Authorization: Basic dTpw").status);
        }
        for (final String path : new String[] {"/no-store", "/private", "/vary-star", "/authorised"}) {
            assertEquals(path, 2, origin.requestCount(path));
        }
    }

    @Test
    public void aClientsNoCacheRevalidatesAndAnOfflineCarKeepsItsCopy() throws Exception {
        origin.answer("/index", conditional(text("index v1"), "\"v1\""));
        assertEquals("index v1", get("/index").bodyText());
        awaitDownloadsCommitted();

        final RawHttpClient.Response confirmed = get("/index", "Cache-Control: no-cache");
        assertEquals("index v1", confirmed.bodyText());
        final RecordedRequest asked = origin.lastRequest();
        assertEquals("the entry's validator went upstream", "\"v1\"", asked.header("If-None-Match"));
        assertEquals(MODIFIED, asked.header("If-Modified-Since"));
        assertEquals(2, origin.requestCount("/index"));

        origin.answer("/index", conditional(text("index v2, longer"), "\"v2\""));
        assertEquals("index v1", get("/index").bodyText()); // nobody asked: the entry is fresh
        assertEquals("index v2, longer", get("/index", "Pragma: no-cache").bodyText());
        awaitDownloadsCommitted();
        final RawHttpClient.Response replaced = get("/index");
        assertEquals("the new answer replaced the entry", "index v2, longer", replaced.bodyText());
        assertEquals("\"v2\"", replaced.header("ETag"));
        assertEquals(3, origin.requestCount("/index"));

        final int port = origin.port();
        origin.close();
        final RawHttpClient.Response offline = RawHttpClient.get(proxyPort(), "http://127.0.0.1:" + port + "/index",
                "Cache-Control: max-age=0");
        assertEquals("upstream unreachable: the cached copy", 200, offline.status);
        assertEquals("index v2, longer", offline.bodyText());
    }

    @Test
    public void anExpiredResponseIsRevalidatedByItself() throws Exception {
        origin.answer("/short-lived", request -> conditional(text("short"), "\"s\"").apply(request)
                .header("Cache-Control", "max-age=5"));
        final long asked = System.nanoTime();
        assertEquals("short", get("/short-lived").bodyText());
        awaitDownloadsCommitted();
        assertEquals("short", get("/short-lived").bodyText());
        final long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - asked);
        if (elapsedMillis < 4_000) { // a machine too busy to ask twice within the freshness proves nothing here
            assertEquals("fresh for five seconds", 1, origin.requestCount("/short-lived"));
        } else {
            System.out.println("the second request came " + elapsedMillis + " ms after the first: freshness unchecked");
        }
        Thread.sleep(Math.max(0, 6_100 - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - asked)));
        assertEquals("short", get("/short-lived").bodyText());
        assertEquals("expired: asked upstream", 2, origin.requestCount("/short-lived"));
        assertEquals("\"s\"", origin.lastRequest().header("If-None-Match"));
    }

    @Test
    public void revalidationOffServesEveryEntryAsTheReferenceDoes() throws Exception {
        origin.answer("/pinned", conditional(text("pinned"), "\"p\""));
        assertEquals("pinned", get("/pinned").bodyText());
        awaitDownloadsCommitted();
        writeYaml(baseYaml(proxyPort(), work()) + extraYaml() + "revalidate: false\n");
        awaitRevalidation(false);
        final int before = origin.requestCount("/pinned");
        for (final String asked : new String[] {"Cache-Control: no-cache", "Cache-Control: max-age=0",
            "Pragma: no-cache"}) {
            assertEquals(asked, "pinned", get("/pinned", asked).bodyText());
        }
        assertEquals("upstream was not asked", before, origin.requestCount("/pinned"));
        writeYaml(baseYaml(proxyPort(), work()) + extraYaml());
        awaitRevalidation(true);
    }

    /** Waits until a client's no-cache does (or no longer does) reach upstream: the configuration is in force. */
    private void awaitRevalidation(final boolean on) throws Exception {
        final long deadline = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < deadline) {
            final int before = origin.requestCount("/pinned");
            assertEquals(200, get("/pinned", "Cache-Control: no-cache").status);
            if ((origin.requestCount("/pinned") > before) == on) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("revalidation never turned " + (on ? "on" : "off"));
    }

    @Test
    public void aRangedMissIsServedFromTheWholeFilesDownloadWhichIsCached() throws Exception {
        final byte[] body = TestData.generate(3 << 20, 41);
        origin.put("/ranged.img", Behaviour.ok(body));
        final RawHttpClient.Response r = get("/ranged.img", "Range: bytes=100-199");
        assertEquals(206, r.status);
        assertArrayEquals(Arrays.copyOfRange(body, 100, 200), r.body);
        assertNull("the whole file was fetched", origin.lastRequest().header("Range"));
        awaitDownloadsCommitted();
        assertArrayEquals(body, get("/ranged.img").body);
        assertEquals(1, origin.requestCount("/ranged.img"));
    }

    @Test
    public void aRangeFarAheadIsFetchedOnItsOwnWhileTheWholeFileIsCached() throws Exception {
        final long size = 8L << 20;
        origin.answer("/far.img", ranged(TestData.generate(size, 42), 4L << 20));
        final RawHttpClient.Response r = get("/far.img", "Range: bytes=6000000-6000999");
        assertEquals(206, r.status);
        assertArrayEquals(Arrays.copyOfRange(TestData.generate(size, 42), 6_000_000, 6_001_000), r.body);
        final List<String> ranges = new ArrayList<>();
        for (final RecordedRequest q : origin.requests()) {
            ranges.add(String.valueOf(q.header("Range")));
        }
        assertTrue("the whole file and the range went upstream: " + ranges,
                ranges.contains("null") && ranges.contains("bytes=6000000-6000999"));
        awaitDownloadsCommitted();
        final RawHttpClient.Response whole = get("/far.img");
        assertEquals(TestData.sha256(size, 42), whole.sha256);
        assertEquals("the whole file was cached meanwhile", 2, origin.requestCount("/far.img"));
    }

    @Test
    public void aRangeUnderAContentAddressIsServedOnlyFromTheVerifiedDownload() throws Exception {
        final long size = 4L << 20;
        origin.put("/far-sha.img", Behaviour.generated(size, 43).rateLimited(8L << 20));
        final RawHttpClient.Response r = get("/far-sha.img", "Range: bytes=3000000-3000009",
                "OTA-File-Cache-Control: file_sha256=" + TestData.sha256(size, 43));
        assertEquals(206, r.status);
        assertArrayEquals(Arrays.copyOfRange(TestData.generate(size, 43), 3_000_000, 3_000_010), r.body);
        assertEquals("no unverified range from upstream", 1, origin.requestCount("/far-sha.img"));
        assertNull(origin.lastRequest().header("Range"));
    }

    @Test
    public void aResumedDownloadEndsWithTheWholeFileCached() throws Exception {
        final long size = 6L << 20;
        final byte[] body = TestData.generate(size, 44);
        origin.answer("/resumed.img", ranged(body, 4L << 20));
        final int got = readPartly(origin.url("/resumed.img"), 2 << 20); // the client hangs up after 2 MiB
        final RawHttpClient.Response rest = get("/resumed.img", "Range: bytes=" + got + "-");
        assertEquals(206, rest.status);
        assertArrayEquals(Arrays.copyOfRange(body, got, body.length), rest.body);
        awaitDownloadsCommitted();
        final int before = origin.requestCount("/resumed.img");
        assertArrayEquals(body, get("/resumed.img").body);
        assertEquals("the whole file is cached", before, origin.requestCount("/resumed.img"));
    }

    /** An origin that answers {@code Range: bytes=a-[b]} with 206, at {@code rate} bytes per second. */
    private static java.util.function.Function<RecordedRequest, Behaviour> ranged(final byte[] body, final long rate) {
        return request -> {
            final String range = request.header("Range");
            if (range == null) {
                return Behaviour.ok(body).rateLimited(rate);
            }
            final String[] ends = range.substring("bytes=".length()).split("-", -1);
            final int first = Integer.parseInt(ends[0]);
            final int last = ends[1].isEmpty() ? body.length - 1 : Integer.parseInt(ends[1]);
            return Behaviour.ok(Arrays.copyOfRange(body, first, last + 1)).withStatus(206).rateLimited(rate)
                    .header("Content-Range", "bytes " + first + "-" + last + "/" + body.length);
        };
    }

    /** A GET whose client reads about {@code bytes} of the body, then closes the connection; the bytes it got. */
    private int readPartly(final String url, final int bytes) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", proxyPort())) {
            socket.getOutputStream().write(("GET " + url + " HTTP/1.1\r\nHost: " + origin.authority()
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            final InputStream in = socket.getInputStream();
            final byte[] buffer = new byte[64 * 1024];
            int total = 0;
            int headEnd = -1;
            final java.io.ByteArrayOutputStream head = new java.io.ByteArrayOutputStream();
            while (headEnd < 0) {
                final int b = in.read();
                if (b < 0) {
                    throw new IOException("no response head");
                }
                head.write(b);
                if (head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                    headEnd = head.size();
                }
            }
            while (total < bytes) {
                final int n = in.read(buffer, 0, Math.min(buffer.length, bytes - total));
                if (n < 0) {
                    break;
                }
                total += n;
            }
            return total;
        }
    }

    /** An origin answer with validators that says 304 to a request holding the same entity tag. */
    private static java.util.function.Function<RecordedRequest, Behaviour> conditional(final byte[] body,
            final String etag) {
        return request -> etag.equals(request.header("If-None-Match"))
                ? Behaviour.status(304).header("ETag", etag)
                : validated(body, etag);
    }
}
