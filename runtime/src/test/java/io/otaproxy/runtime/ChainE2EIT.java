package io.otaproxy.runtime;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.otaproxy.testing.TestOrigin;

import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The reference's end-to-end scenario with real processes: an origin ← a caching gateway proxy ← three caching
 * child proxies (upper proxy = the gateway) ← one client each. A cold pass, a warm pass with the origin stopped,
 * then a restart of every proxy and another warm pass. Every file is checked by sha256; no temporary file may
 * be left in any cache.
 */
public class ChainE2EIT {

    private static final int CHILDREN = 3;

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final List<ProxyProcess> proxies = new ArrayList<>();
    private TestOrigin origin;

    @After
    public void stopAll() throws InterruptedException {
        for (final ProxyProcess p : proxies) {
            p.close();
        }
        if (origin != null) {
            origin.close();
        }
    }

    private ProxyProcess proxy(final Path cache, final int port, final String upper) throws Exception {
        final List<String> args = new ArrayList<>(List.of("--host", "127.0.0.1", "--port", Integer.toString(port),
                "--cache-dir", cache.toString(), "--enable-cache"));
        if (upper != null) {
            args.addAll(List.of("--upper-proxy", upper));
        }
        final ProxyProcess p = ProxyProcess.start(tmp.getRoot().toPath(), List.of("-Xmx256m"),
                args.toArray(new String[0]));
        proxies.add(p);
        return p;
    }

    private void startChain(final Path[] caches, final int[] ports) throws Exception {
        proxy(caches[0], ports[0], null);
        for (int i = 1; i <= CHILDREN; i++) {
            proxy(caches[i], ports[i], "http://127.0.0.1:" + ports[0]);
        }
    }

    private void pass(final String name, final int[] ports, final String originBase, final OtaDataSet data)
            throws Exception {
        final List<CompletableFuture<OtaClient.Result>> clients = new ArrayList<>();
        for (int i = 1; i <= CHILDREN; i++) {
            final int port = ports[i];
            clients.add(CompletableFuture.supplyAsync(() -> OtaClient.download(port, originBase, data)));
        }
        for (final CompletableFuture<OtaClient.Result> c : clients) {
            final OtaClient.Result r = c.get(15, TimeUnit.MINUTES);
            System.out.println(name + ": " + r);
            assertEquals(name + ": every file arrives with the right sha256 " + r, 0, r.failures());
            assertEquals(name, data.totalBytes(), r.bytes());
        }
    }

    private static void assertNoTemporaryFiles(final Path cache) throws IOException {
        final Path tmpDir = cache.resolve("v1").resolve("tmp");
        if (Files.isDirectory(tmpDir)) {
            try (Stream<Path> left = Files.list(tmpDir)) {
                assertEquals("temporary files left in " + tmpDir, List.of(), left.toList());
            }
        }
    }

    @Test
    public void coldWarmOfflineAndAfterRestart() throws Exception {
        final OtaDataSet data = OtaDataSet.generate(1000, 1900, 60, 4, 7);
        origin = TestOrigin.start();
        data.serve(origin);
        final String originBase = "http://127.0.0.1:" + origin.port();
        final Path[] caches = new Path[CHILDREN + 1];
        final int[] ports = new int[CHILDREN + 1];
        for (int i = 0; i <= CHILDREN; i++) {
            caches[i] = tmp.newFolder("cache" + i).toPath();
            ports[i] = ProxyProcess.freePort();
        }
        startChain(caches, ports);

        pass("cold", ports, originBase, data);
        final int distinct = (int) data.files().stream().map(OtaDataSet.File::sha256).distinct().count();
        assertTrue("the gateway fetched each distinct file about once: " + origin.requests().size() + " requests for "
                + distinct + " files", origin.requests().size() <= distinct + data.files().size() / 10);

        origin.close(); // the car goes offline: everything must come from the caches
        pass("warm, origin stopped", ports, originBase, data);

        for (final ProxyProcess p : proxies) {
            p.terminate();
        }
        proxies.clear();
        for (final Path cache : caches) {
            assertNoTemporaryFiles(cache);
        }
        startChain(caches, ports);
        pass("warm after restart, origin stopped", ports, originBase, data);
        for (final ProxyProcess p : proxies) {
            p.terminate();
        }
        for (final Path cache : caches) {
            assertNoTemporaryFiles(cache);
        }
    }
}
