package io.otaproxy.runtime;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.otaproxy.testing.Behaviour;
import io.otaproxy.testing.RawHttpClient;
import io.otaproxy.testing.TestData;
import io.otaproxy.testing.TestOrigin;

import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** kill -9 of the proxy in the middle of a fill, then a restart on the same cache: every byte served is right. */
public class CrashE2EIT {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private TestOrigin origin;
    private ProxyProcess proxy;

    @After
    public void stop() throws InterruptedException {
        if (proxy != null) {
            proxy.close();
        }
        if (origin != null) {
            origin.close();
        }
    }

    private ProxyProcess start(final Path cache, final int port) throws Exception {
        return ProxyProcess.start(tmp.getRoot().toPath(), List.of(), "--host", "127.0.0.1", "--port",
                Integer.toString(port), "--cache-dir", cache.toString());
    }

    @Test
    public void killDuringAFillLeavesOnlyCompleteEntries() throws Exception {
        origin = TestOrigin.start();
        final Path cache = tmp.newFolder("cache").toPath();
        final int port = ProxyProcess.freePort();
        proxy = start(cache, port);

        final byte[] small = TestData.generate(100_000, 41);
        origin.put("/committed", small);
        assertArrayEquals(small, RawHttpClient.get(port, origin.url("/committed")).body);

        final long size = 16L * 1024 * 1024;
        origin.put("/big.img", Behaviour.generated(size, 42).rateLimited(2L * 1024 * 1024));
        final CompletableFuture<RawHttpClient.Response> download = CompletableFuture.supplyAsync(() -> {
            try {
                return RawHttpClient.exchange(port, "GET", origin.url("/big.img"), false);
            } catch (final IOException e) {
                return null; // a reset during the kill is a failed download, as it should be
            }
        });
        Thread.sleep(2500); // about 5 MiB of 16 are on disk
        proxy.kill();
        final RawHttpClient.Response cut = download.get(30, TimeUnit.SECONDS);
        assertTrue("the interrupted download is not complete", cut == null || !cut.complete);

        proxy = start(cache, port);
        assertNoTemporaryFiles(cache);
        final int bigBefore = origin.requestCount("/big.img");
        origin.put("/big.img", Behaviour.generated(size, 42)); // full speed now
        final RawHttpClient.Response again = RawHttpClient.exchange(port, "GET", origin.url("/big.img"), false);
        assertTrue(again.complete);
        assertEquals(TestData.sha256(size, 42), again.sha256);
        assertEquals("the half-written fill was not kept as an entry", bigBefore + 1, origin.requestCount("/big.img"));

        final RawHttpClient.Response kept = RawHttpClient.get(port, origin.url("/committed"));
        assertArrayEquals(small, kept.body);
        assertEquals("the entry committed before the kill survives it", 1, origin.requestCount("/committed"));
        assertFalse(proxy.logged("Exception in thread"));
    }

    private static void assertNoTemporaryFiles(final Path cache) throws IOException, InterruptedException {
        final Path tmpDir = cache.resolve("v1").resolve("tmp");
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            final List<Path> left;
            try (Stream<Path> files = Files.isDirectory(tmpDir) ? Files.list(tmpDir) : Stream.empty()) {
                left = files.toList();
            }
            if (left.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("temporary files left after restart: " + left);
            }
            Thread.sleep(100);
        }
    }
}
