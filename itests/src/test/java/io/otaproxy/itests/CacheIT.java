package io.otaproxy.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.otaproxy.testing.Behaviour;
import io.otaproxy.testing.RawHttpClient;
import io.otaproxy.testing.TestData;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;

/** The cache: hits, shared downloads, integrity, OTA directives, HEAD and ranges, over the real bundle set. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class CacheIT extends ProxyTestSupport {

    private static final String DIRECTIVES = "OTA-File-Cache-Control: ";


    private RawHttpClient.Response get(final String path, final String... headers) throws IOException {
        return RawHttpClient.get(proxyPort(), origin.url(path), headers);
    }

    /** A GET on another thread. */
    private CompletableFuture<RawHttpClient.Response> getAsync(final String path) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return get(path);
            } catch (final IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /**
     * A failed download is seen as failed: a 502 when it failed before the response started, else an aborted
     * body (fewer bytes than Content-Length, or no last chunk). Never a complete 200.
     */
    private static void assertFailed(final RawHttpClient.Response r) {
        assertTrue("status " + r.status + ", complete " + r.complete, r.status == 502 || r.status == 200 && !r.complete);
    }

    @Test
    public void aSecondRequestIsServedFromDiskEvenWithUpstreamGone() throws IOException {
        final byte[] body = TestData.generate(1_500_000, 31);
        origin.put("/warm.bin", Behaviour.ok(body).header("Content-Type", "application/x-ota"));
        final RawHttpClient.Response cold = get("/warm.bin");
        assertEquals(200, cold.status);
        assertArrayEquals(body, cold.body);
        final int port = origin.port();
        origin.close(); // the car went offline
        final RawHttpClient.Response warm = RawHttpClient.get(proxyPort(), "http://127.0.0.1:" + port + "/warm.bin");
        assertEquals(200, warm.status);
        assertArrayEquals(body, warm.body);
        assertEquals("1500000", warm.header("Content-Length"));
        assertEquals("Content-Type is replayed on hits", "application/x-ota", warm.header("Content-Type"));
    }

    @Test
    public void concurrentRequestsShareOneUpstreamDownloadAndAllStream() throws Exception {
        final long size = 4L * 1024 * 1024;
        origin.put("/shared.img", Behaviour.generated(size, 32).rateLimited(2L * 1024 * 1024));
        final List<CompletableFuture<RawHttpClient.Response>> clients = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            clients.add(getAsync("/shared.img"));
        }
        final String expected = TestData.sha256(size, 32);
        for (final CompletableFuture<RawHttpClient.Response> c : clients) {
            final RawHttpClient.Response r = c.get(60, TimeUnit.SECONDS);
            assertEquals(200, r.status);
            assertTrue(r.complete);
            assertEquals(expected, r.sha256);
        }
        assertEquals("one upstream request for eight clients", 1, origin.requestCount("/shared.img"));
    }

    @Test
    public void aJoinerReceivesBytesBeforeTheDownloadEnds() throws Exception {
        final long size = 2L * 1024 * 1024;
        origin.put("/slow.img", Behaviour.generated(size, 33).rateLimited(256 * 1024));
        final CompletableFuture<RawHttpClient.Response> first = getAsync("/slow.img");
        origin.awaitRequests(1, 10_000);
        Thread.sleep(300);
        // a joiner reads the first 1000 bytes as a range; they are on disk long before the 8 s download ends
        final long start = System.nanoTime();
        final RawHttpClient.Response joiner = get("/slow.img", "Range: bytes=0-999");
        final long millis = (System.nanoTime() - start) / 1_000_000;
        final boolean downloadRunning = !first.isDone();
        assertEquals(206, joiner.status);
        assertArrayEquals(java.util.Arrays.copyOf(TestData.generate(size, 33), 1000), joiner.body);
        assertTrue("the joined bytes came only once the download had ended", downloadRunning);
        System.out.println("joined bytes came after " + millis + " ms");
        assertTrue(first.get(60, TimeUnit.SECONDS).complete);
        assertEquals(1, origin.requestCount("/slow.img"));
    }

    @Test
    public void concurrentRequestsForAnEmptyFileShareOneDownloadAndCacheIt() throws Exception {
        // the head is late, so every client joins the one fill before it has a body
        origin.put("/empty.flag", Behaviour.ok(new byte[0]).delayHeaders(500));
        final List<CompletableFuture<RawHttpClient.Response>> clients = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            clients.add(getAsync("/empty.flag"));
        }
        for (final CompletableFuture<RawHttpClient.Response> c : clients) {
            final RawHttpClient.Response r = c.get(30, TimeUnit.SECONDS);
            assertEquals(200, r.status);
            assertTrue(r.complete);
            assertEquals(0, r.bodyLength);
        }
        assertEquals("one upstream request for eight clients", 1, origin.requestCount("/empty.flag"));
        final RawHttpClient.Response warm = get("/empty.flag");
        assertEquals(200, warm.status);
        assertEquals("0", warm.header("Content-Length"));
        assertEquals("the empty file was committed", 1, origin.requestCount("/empty.flag"));
    }

    @Test
    public void anEmptyBodyWithAWrongShaIsA502AndNotCached() throws IOException {
        origin.put("/empty-bad-sha", new byte[0]);
        final RawHttpClient.Response r = get("/empty-bad-sha", DIRECTIVES + "file_sha256=" + "11".repeat(32));
        assertEquals("the checks run before the empty 200 would be sent", 502, r.status);
        final RawHttpClient.Response right = get("/empty-bad-sha", DIRECTIVES + "file_sha256="
                + TestData.sha256(new byte[0]));
        assertEquals(200, right.status);
        assertEquals(0, right.bodyLength);
        assertEquals(2, origin.requestCount("/empty-bad-sha"));
    }

    @Test
    public void theClientsShaKeysAVerifiedEntryAcrossUrlsAndIsEchoed() throws IOException {
        final byte[] body = "same file, two urls".getBytes(StandardCharsets.UTF_8);
        final String sha = TestData.sha256(body);
        origin.put("/a/file", body);
        origin.put("/b/file", body);
        assertEquals(200, get("/a/file", DIRECTIVES + "file_sha256=" + sha).status);
        final RawHttpClient.Response other = get("/b/file", DIRECTIVES + "file_sha256=" + sha);
        assertEquals(200, other.status);
        assertArrayEquals(body, other.body);
        assertEquals(0, origin.requestCount("/b/file"));
        assertEquals("file_sha256=" + sha, other.header("ota-file-cache-control"));
    }

    /**
     * A body announced as compressed cannot be checked against the sha256 of the original file: it is keyed by
     * its URL too, so junk fetched under another file's sha256 is never served for that file.
     */
    @Test
    public void aCompressedBodyIsNeverServedUnderItsShaForAnotherUrl() throws IOException {
        final byte[] real = TestData.generate(30_000, 81);
        final byte[] junk = TestData.generate(30_000, 82);
        final String sha = TestData.sha256(real);
        origin.put("/poison/junk", junk);
        origin.put("/poison/real", real);
        origin.put("/poison/real.zst", real);
        final String compressed = DIRECTIVES + "file_sha256=" + sha + ",file_compression_alg=zst";
        assertArrayEquals(junk, get("/poison/junk", compressed).body);
        assertArrayEquals("stored for its own URL", junk, get("/poison/junk", compressed).body);
        assertEquals(1, origin.requestCount("/poison/junk"));

        final RawHttpClient.Response plain = get("/poison/real", DIRECTIVES + "file_sha256=" + sha);
        assertEquals(200, plain.status);
        assertArrayEquals("the real file, from upstream", real, plain.body);
        assertEquals(1, origin.requestCount("/poison/real"));
        final RawHttpClient.Response sameDirectives = get("/poison/real.zst", compressed);
        assertArrayEquals(real, sameDirectives.body);
        assertEquals(1, origin.requestCount("/poison/real.zst"));
    }

    /** Upstream encoded the body: its bytes are not the file the client's sha256 names, so they are not stored. */
    @Test
    public void anEncodedAnswerIsRelayedNotStoredUnderTheClientsSha() throws IOException {
        final byte[] real = TestData.generate(20_000, 83);
        final byte[] encoded = TestData.generate(20_000, 84);
        final String sha = TestData.sha256(real);
        origin.put("/enc/file", Behaviour.ok(encoded).header("Content-Encoding", "gzip"));
        origin.put("/enc/real", real);
        final RawHttpClient.Response relayed = get("/enc/file", DIRECTIVES + "file_sha256=" + sha);
        assertEquals(200, relayed.status);
        assertArrayEquals(encoded, relayed.body);
        assertArrayEquals("the real file, from upstream", real,
                get("/enc/real", DIRECTIVES + "file_sha256=" + sha).body);
        assertEquals(1, origin.requestCount("/enc/real"));
    }

    /** A range read from a download that turns out wrong must not end cleanly before the download is checked. */
    @Test
    public void aRangeOfADownloadInFlightWaitsForItsVerification() throws Exception {
        final long size = 3_000_000;
        origin.put("/ranged-bad-sha", Behaviour.generated(size, 85).rateLimited(1_000_000));
        final String wrong = DIRECTIVES + "file_sha256=" + "11".repeat(32);
        final CompletableFuture<RawHttpClient.Response> whole =
                CompletableFuture.supplyAsync(() -> {
                    try {
                        return RawHttpClient.exchange(proxyPort(), "GET", origin.url("/ranged-bad-sha"), false,
                                wrong);
                    } catch (final IOException e) {
                        throw new IllegalStateException(e);
                    }
                });
        assertTrue(origin.awaitRequests(1, 10_000));
        final RawHttpClient.Response range = RawHttpClient.exchange(proxyPort(), "GET",
                origin.url("/ranged-bad-sha"), false, wrong, "Range: bytes=0-99");
        assertFalse("a range of the wrong file never completes: status " + range.status, range.complete
                && range.status == 206);
        assertFalse(whole.get(30, TimeUnit.SECONDS).complete);
        assertEquals("the range joined the one download", 1, origin.requestCount("/ranged-bad-sha"));
    }

    @Test
    public void aWrongShaIsNeverDeliveredCompleteNorCached() throws IOException {
        final byte[] body = TestData.generate(200_000, 34);
        origin.put("/bad-sha", body);
        final String wrong = "00".repeat(32);
        final RawHttpClient.Response r = get("/bad-sha", DIRECTIVES + "file_sha256=" + wrong);
        assertFailed(r);
        assertTrue("the last bytes are withheld", r.status == 502 || r.bodyLength < body.length);
        get("/bad-sha", DIRECTIVES + "file_sha256=" + wrong);
        assertEquals("nothing was committed", 2, origin.requestCount("/bad-sha"));
        final RawHttpClient.Response right = get("/bad-sha", DIRECTIVES + "file_sha256=" + TestData.sha256(body));
        assertTrue(right.complete);
        assertArrayEquals(body, right.body);
    }

    @Test
    public void aTruncatedUpstreamFailsEveryReaderAndIsFetchedAgain() throws IOException {
        origin.put("/trunc", Behaviour.generated(500_000, 35).truncatedAfter(100_000));
        assertFailed(get("/trunc"));
        origin.put("/trunc", TestData.generate(500_000, 35));
        final RawHttpClient.Response again = get("/trunc");
        assertTrue(again.complete);
        assertEquals(TestData.sha256(500_000, 35), again.sha256);
        assertEquals(2, origin.requestCount("/trunc"));
    }

    @Test
    public void aResetOrAStallOfUpstreamFailsTheFillAndCommitsNothing() throws IOException {
        origin.put("/reset", Behaviour.generated(800_000, 39).resetAfter(200_000));
        assertFailed(get("/reset"));
        origin.put("/stall", Behaviour.generated(800_000, 40).stallAfter(200_000));
        final long start = System.nanoTime();
        assertFailed(get("/stall"));
        assertTrue(System.nanoTime() - start < 20_000_000_000L);
        origin.put("/reset", TestData.generate(800_000, 39));
        origin.put("/stall", TestData.generate(800_000, 40));
        assertEquals(TestData.sha256(800_000, 39), get("/reset").sha256);
        assertEquals(TestData.sha256(800_000, 40), get("/stall").sha256);
        assertEquals(2, origin.requestCount("/reset"));
        assertEquals(2, origin.requestCount("/stall"));
    }

    @Test
    public void retryCachingFetchesAgainAndNoCacheNeverTouchesTheCache() throws IOException {
        origin.put("/r", new byte[] {1});
        get("/r");
        get("/r");
        assertEquals(1, origin.requestCount("/r"));
        origin.put("/r", new byte[] {2});
        final RawHttpClient.Response retried = get("/r", DIRECTIVES + "retry_caching");
        assertArrayEquals(new byte[] {2}, retried.body);
        assertEquals(2, origin.requestCount("/r"));
        assertArrayEquals(new byte[] {2}, get("/r").body);
        assertEquals(2, origin.requestCount("/r"));

        origin.put("/n", new byte[] {3});
        get("/n", DIRECTIVES + "no_cache");
        get("/n", DIRECTIVES + "no_cache");
        get("/n");
        assertEquals("no_cache neither reads nor fills", 3, origin.requestCount("/n"));
    }

    @Test
    public void headIsAnsweredFromTheCacheAndAMissDoesNotStartADownload() throws IOException {
        origin.put("/h", TestData.generate(12_345, 36));
        final RawHttpClient.Response miss = RawHttpClient.exchange(proxyPort(), "HEAD", origin.url("/h"), true);
        assertEquals("12345", miss.header("Content-Length"));
        assertEquals("HEAD", origin.lastRequest().method());
        get("/h");
        assertEquals(2, origin.requests().size());
        final RawHttpClient.Response hit = RawHttpClient.exchange(proxyPort(), "HEAD", origin.url("/h"), true);
        assertEquals(200, hit.status);
        assertEquals("12345", hit.header("Content-Length"));
        assertEquals("no upstream request for a cached HEAD", 2, origin.requests().size());
    }

    @Test
    public void aHeadDuringADownloadIsAnsweredFromIt() throws Exception {
        final long size = 2L * 1024 * 1024;
        origin.put("/downloading.img", Behaviour.generated(size, 37).rateLimited(1024 * 1024));
        final CompletableFuture<RawHttpClient.Response> download = getAsync("/downloading.img");
        origin.awaitRequests(1, 10_000);
        Thread.sleep(300);
        final RawHttpClient.Response head = RawHttpClient.exchange(proxyPort(), "HEAD", origin.url("/downloading.img"),
                true);
        assertEquals(200, head.status);
        assertEquals(String.valueOf(size), head.header("Content-Length"));
        assertTrue(download.get(30, TimeUnit.SECONDS).complete);
        assertEquals("the HEAD did not go upstream", 1, origin.requests().size());
    }

    @Test
    public void rangesAreServedFromACompleteEntry() throws IOException {
        final byte[] body = TestData.generate(10_000, 37);
        origin.put("/range.bin", Behaviour.ok(body).header("Content-Type", "application/octet-stream"));
        get("/range.bin");
        final RawHttpClient.Response one = get("/range.bin", "Range: bytes=100-199");
        assertEquals(206, one.status);
        assertEquals("bytes 100-199/10000", one.header("Content-Range"));
        assertArrayEquals(java.util.Arrays.copyOfRange(body, 100, 200), one.body);

        final RawHttpClient.Response multi = get("/range.bin", "Range: bytes=0-9,-10");
        assertEquals(206, multi.status);
        assertTrue(multi.header("Content-Type").startsWith("multipart/byteranges; boundary="));
        final String text = new String(multi.body, StandardCharsets.ISO_8859_1);
        assertTrue(text.contains("Content-Range: bytes 0-9/10000"));
        assertTrue(text.contains("Content-Range: bytes 9990-9999/10000"));
        assertTrue(text.contains(new String(java.util.Arrays.copyOfRange(body, 9990, 10000),
                StandardCharsets.ISO_8859_1)));

        final RawHttpClient.Response none = get("/range.bin", "Range: bytes=20000-");
        assertEquals(416, none.status);
        assertEquals("bytes */10000", none.header("Content-Range"));
        assertEquals(1, origin.requestCount("/range.bin"));
    }

    /**
     * Long spans of a complete entry are written from mappings of its file, a few MiB at a time: a whole hit, a
     * range starting and ending off any page boundary, and a multipart answer with a long part arrive exact across
     * the pieces, and an entry evicted while it is being written still reaches its client whole.
     */
    @Test
    public void longHitsAndRangesAreExactAcrossMappedPieces() throws Exception {
        final int size = 9 * 1024 * 1024 + 12_345; // three pieces, the last one short
        final byte[] body = TestData.generate(size, 39);
        origin.put("/long.bin", Behaviour.ok(body));
        assertArrayEquals(body, get("/long.bin").body);

        final RawHttpClient.Response whole = get("/long.bin");
        assertEquals(200, whole.status);
        assertTrue(whole.complete);
        assertArrayEquals(body, whole.body);

        final int first = 1024 * 1024 + 7;
        final int last = size - 3;
        final RawHttpClient.Response range = get("/long.bin", "Range: bytes=" + first + "-" + last);
        assertEquals(206, range.status);
        assertArrayEquals(java.util.Arrays.copyOfRange(body, first, last + 1), range.body);

        final RawHttpClient.Response multi = get("/long.bin", "Range: bytes=0-0,4194303-8388609");
        assertEquals(206, multi.status);
        final String text = new String(multi.body, StandardCharsets.ISO_8859_1);
        assertTrue(text.contains(new String(java.util.Arrays.copyOfRange(body, 4_194_303, 8_388_610),
                StandardCharsets.ISO_8859_1)));
        assertEquals(1, origin.requestCount("/long.bin"));

        // a client that has read little when the entry is purged still gets the whole body
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", proxyPort())) {
            socket.getOutputStream().write(("GET " + origin.url("/long.bin") + " HTTP/1.1\r\nHost: 127.0.0.1:" + origin.port()
                    + "\r\n"
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            final java.io.InputStream in = socket.getInputStream();
            final java.io.ByteArrayOutputStream received = new java.io.ByteArrayOutputStream();
            final byte[] chunk = new byte[8192];
            while (received.size() < 64 * 1024) {
                final int n = in.read(chunk);
                assertTrue("ended early: " + received.toString(StandardCharsets.ISO_8859_1), n > 0);
                received.write(chunk, 0, n);
            }
            final org.osgi.framework.ServiceReference<io.otaproxy.api.cache.CacheMaintenance> ref =
                    context.getServiceReference(io.otaproxy.api.cache.CacheMaintenance.class);
            assertTrue(context.getService(ref).purgeAll() >= 1);
            context.ungetService(ref);
            in.transferTo(received);
            final byte[] all = received.toByteArray();
            final int head = new String(all, StandardCharsets.ISO_8859_1).indexOf("\r\n\r\n") + 4;
            assertTrue(new String(all, 0, head, StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 200"));
            assertArrayEquals(body, java.util.Arrays.copyOfRange(all, head, all.length));
        }
    }

    @Test
    public void aPartialAnswerFromUpstreamIsNeverStored() throws IOException {
        origin.put("/ranged-miss", Behaviour.ok(new byte[] {1, 2, 3}).withStatus(206)
                .header("Content-Range", "bytes 0-2/100"));
        final RawHttpClient.Response r = get("/ranged-miss", "Range: bytes=0-2");
        assertEquals(206, r.status);
        assertArrayEquals(new byte[] {1, 2, 3}, r.body);
        get("/ranged-miss");
        assertEquals("a 206 is never stored as the whole object", 2, origin.requestCount("/ranged-miss"));
    }

    @Test
    public void errorsAreRelayedAndNotCached() throws IOException {
        origin.put("/404", Behaviour.status(404, "gone".getBytes(StandardCharsets.UTF_8)));
        assertEquals(404, get("/404").status);
        assertEquals(404, get("/404").status);
        assertEquals(2, origin.requestCount("/404"));
    }

    @Test
    public void aMalformedShaIs400AndReachesNoOne() throws IOException {
        origin.put("/x", new byte[] {1});
        final RawHttpClient.Response r = get("/x", DIRECTIVES + "file_sha256=../../../etc/passwd");
        assertEquals(400, r.status);
        assertEquals(0, origin.requests().size());
    }

    @Test
    public void externalReadOnlyCachesAnswerByShaAfterTheLocalCache() throws Exception {
        final java.nio.file.Path usb = work().resolve("usb");
        java.nio.file.Files.createDirectories(usb.resolve("data"));
        final byte[] plain = "an OTA file".getBytes(StandardCharsets.UTF_8);
        final String sha = TestData.sha256(plain);
        final byte[] compressed = {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd, 1, 2, 3};
        java.nio.file.Files.write(usb.resolve("data").resolve(sha + ".zst"), compressed);
        writeYaml(baseYaml(proxyPort(), work()) + "external_cache_dirs: [" + usb + "]\n");
        final long deadline = System.nanoTime() + 10_000_000_000L;
        RawHttpClient.Response r;
        do {
            Thread.sleep(100);
            r = get("/usb/file", DIRECTIVES + "file_sha256=" + sha);
        } while (r.status != 200 && System.nanoTime() < deadline);
        assertEquals(200, r.status);
        origin.clear(); // requests made before the edit reached the cache store went upstream (a 404 there)
        r = get("/usb/file", DIRECTIVES + "file_sha256=" + sha);
        assertArrayEquals(compressed, r.body);
        assertEquals("file_sha256=" + sha + ",file_compression_alg=zst", r.header("ota-file-cache-control"));
        assertEquals("nothing went upstream", 0, origin.requests().size());
    }

    @Test
    public void entriesSurviveARestartOfTheCacheBundle() throws Exception {
        final byte[] body = TestData.generate(300_000, 38);
        origin.put("/persist", body);
        get("/persist");
        final Bundle cache = installedBundle("io.otaproxy.cache");
        cache.stop();
        assertEquals(200, get("/persist").status);
        assertEquals("relayed while the cache bundle is stopped", 2, origin.requestCount("/persist"));
        cache.start();
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (context.getServiceReference("io.otaproxy.api.cache.CacheStore") == null
                && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        final RawHttpClient.Response r = get("/persist");
        assertArrayEquals(body, r.body);
        assertEquals("served from the disk after the restart", 2, origin.requestCount("/persist"));
    }
}
