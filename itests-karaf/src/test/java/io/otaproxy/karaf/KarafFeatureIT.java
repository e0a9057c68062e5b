package io.otaproxy.karaf;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import io.otaproxy.testing.FreePorts;
import io.otaproxy.testing.RawHttpClient;
import io.otaproxy.testing.TestData;
import io.otaproxy.testing.TestOrigin;

/**
 * The Karaf feature repository in a real Apache Karaf 4.4: the features module's {@code features.xml} is added to
 * Karaf's boot features, Karaf installs {@code ota-proxy} from an offline Maven repository, the configuration bundle
 * finds {@code proxy_info.yml} through a line in {@code etc/system.properties}, and the proxy relays and caches.
 */
public class KarafFeatureIT {

    private static final long STARTUP_TIMEOUT_MS = TimeUnit.SECONDS.toMillis(180);
    private static final String READY_PATH = "/ready";
    /** The proxy's name in proxy_info.yml; a request already carrying it in Via is refused with 508. */
    private static final String PROXY_ID = "karaf-gw";

    private static TestOrigin origin;
    private static KarafInstance karaf;
    private static Path proxyInfo;
    private static Path cacheDir;
    private static int proxyPort;
    private static int adminPort;
    private static int defaultHttpPort;

    @BeforeClass
    public static void startKaraf() throws Exception {
        final Path work = Path.of(System.getProperty("otaproxy.karaf.work"));
        deleteTree(work);
        Files.createDirectories(work);
        origin = TestOrigin.start();
        origin.put(READY_PATH, "ready".getBytes(StandardCharsets.US_ASCII));
        proxyPort = FreePorts.find();
        adminPort = FreePorts.find();
        defaultHttpPort = FreePorts.find();
        cacheDir = work.resolve("ota-cache");

        karaf = KarafInstance.unpack(Path.of(System.getProperty("otaproxy.karaf.distribution")), work);
        proxyInfo = karaf.home().resolve("etc/proxy_info.yml");
        writeProxyInfo(true, PROXY_ID);
        karaf.bootFeature(System.getProperty("otaproxy.features.url"), "ota-proxy");
        karaf.offlineMavenRepository(Path.of(System.getProperty("otaproxy.karaf.repository")));
        karaf.consolePorts(FreePorts.find(), FreePorts.find(), FreePorts.find());
        // as the README says: the file next to Karaf's other configuration, named with Karaf's own placeholder
        karaf.systemProperty("otaproxy.config", "${karaf.etc}/proxy_info.yml");
        // A gateway may well have set the HTTP service port; the feature must not put a server on it.
        karaf.systemProperty("org.osgi.service.http.port", String.valueOf(defaultHttpPort));
        karaf.start();
        awaitProxy();
    }

    @AfterClass
    public static void stopKaraf() throws Exception {
        if (karaf != null) {
            karaf.close();
        }
        if (origin != null) {
            origin.close();
        }
    }

    @Test
    public void relaysAndCachesThroughTheFeature() throws IOException {
        final String path = "/ota/karaf/ecu-main.bin";
        final byte[] body = TestData.generate(3 * 1024 * 1024 + 17, 42);
        origin.put(path, body);

        final RawHttpClient.Response first = RawHttpClient.get(proxyPort, origin.url(path));
        assertEquals(200, first.status);
        assertArrayEquals(body, first.body);
        final RawHttpClient.Response second = RawHttpClient.get(proxyPort, origin.url(path));
        assertEquals(200, second.status);
        assertArrayEquals(body, second.body);
        assertEquals("the second GET is a hit: upstream saw one request", 1, originRequests(path));
        assertTrue("the entry is in cache_dir from proxy_info.yml", Files.isDirectory(cacheDir.resolve("v1/data")));
    }

    @Test
    public void proxyInfoIsFoundAndWatchedInKaraf() throws Exception {
        assertTrue("the configuration bundle read the file named in etc/system.properties",
                karaf.log().contains("Activating proxy_info reader: file " + proxyInfo.toAbsolutePath().normalize()));
        final String path = "/ota/karaf/relayed-while-cache-off.bin";
        origin.put(path, TestData.generate(64 * 1024, 7));
        writeProxyInfo(false, PROXY_ID);
        try {
            // the file is polled: wait until the edit is in force, i.e. two GETs reach upstream twice
            final long deadline = System.currentTimeMillis() + 30_000;
            int before;
            do {
                before = originRequests(path);
                assertEquals(200, RawHttpClient.get(proxyPort, origin.url(path)).status);
                assertEquals(200, RawHttpClient.get(proxyPort, origin.url(path)).status);
                if (System.currentTimeMillis() > deadline) {
                    fail("cache switched off in proxy_info.yml, but the proxy still caches" + karaf.diagnostics());
                }
                Thread.sleep(200);
            } while (originRequests(path) - before != 2);
        } finally {
            writeProxyInfo(true, PROXY_ID);
        }
        awaitCaching();
    }

    /**
     * The operator's other way in: {@code etc/io.otaproxy.proxy.cfg}, which Karaf's FileInstall maps onto the
     * proxy's PID. FileInstall replaces the whole configuration with the keys the {@code .cfg} names and removes it
     * with the file; neither may cost the settings proxy_info.yml wrote there. The {@code .cfg} key applies live,
     * survives an edit of proxy_info.yml, and deleting the {@code .cfg} hands the PID back to the file at once.
     */
    @Test
    public void aCfgFileInEtcWinsOverProxyInfoAndHandsBackWhenDeleted() throws Exception {
        final String path = "/ota/karaf/behind-cfg.bin";
        origin.put(path, TestData.generate(4096, 11));
        final Path cfg = karaf.home().resolve("etc/io.otaproxy.proxy.cfg");
        try {
            // an address no test origin has: the origin on 127.0.0.1 is no longer allowed
            writeAtomically(cfg, "allowed.upstreams = 192.0.2.1\n");
            awaitStatus("the .cfg's allowed.upstreams in force", path, 403);
            assertEquals("proxy_info.yml's proxy_id still applies beside the .cfg's key", 508,
                    RawHttpClient.get(proxyPort, origin.url(path), "Via: 1.1 " + PROXY_ID).status);

            writeProxyInfo(true, PROXY_ID + "-2");
            awaitStatus("proxy_info.yml's new proxy_id in force", path, 508, "Via: 1.1 " + PROXY_ID + "-2");
            assertEquals("the .cfg's value survived the edit of proxy_info.yml", 403,
                    RawHttpClient.get(proxyPort, origin.url(path)).status);
            assertTrue("FileInstall keeps the .cfg in step with ConfigAdmin",
                    Files.readString(cfg, StandardCharsets.ISO_8859_1).contains("192.0.2.1"));

            Files.delete(cfg);
            awaitStatus("the PID back on proxy_info.yml's values after the .cfg was deleted", path, 200);
            assertEquals("proxy_info.yml's proxy_id after the .cfg was deleted", 508,
                    RawHttpClient.get(proxyPort, origin.url(path), "Via: 1.1 " + PROXY_ID + "-2").status);
        } finally {
            Files.deleteIfExists(cfg);
            writeProxyInfo(true, PROXY_ID);
        }
        awaitStatus("proxy_info.yml restored", path, 508, "Via: 1.1 " + PROXY_ID);
    }

    @Test
    public void theAdminEndpointServesMetricsInKaraf() throws Exception {
        final HttpClient client = HttpClient.newHttpClient();
        final HttpRequest metrics = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/metrics"))
                .timeout(Duration.ofSeconds(5)).build();
        final long deadline = System.nanoTime() + 30_000_000_000L;
        while (true) {
            try {
                final HttpResponse<String> r = client.send(metrics, HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode());
                assertTrue(r.body(), r.body().contains("otaproxy_requests_total"));
                return;
            } catch (final IOException e) {
                if (System.nanoTime() > deadline) {
                    fail("no admin endpoint on port " + adminPort + ": " + e + karaf.diagnostics());
                }
                Thread.sleep(200);
            }
        }
    }

    @Test
    public void defaultHttpServerStaysOff() throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", defaultHttpPort), 2_000);
            fail("something listens on org.osgi.service.http.port " + defaultHttpPort
                    + ": Felix HTTP's default server is running");
        } catch (final ConnectException expected) {
            // refused: only the proxy's own Jetty instance runs
        }
    }

    @Test
    public void karafLogsNoErrors() {
        final String errors = karaf.log().lines().filter(l -> l.contains("| ERROR |"))
                .reduce("", (a, b) -> a + b + "\n");
        assertEquals("ERROR lines in karaf.log", "", errors);
    }

    private static void writeProxyInfo(final boolean cacheEnabled, final String proxyId) throws IOException {
        final String yaml = "local_ota_proxy_listen_addr: 127.0.0.1\n"
                + "local_ota_proxy_listen_port: " + proxyPort + "\n"
                + "admin_listen_port: " + adminPort + "\n"
                + "cache_dir: " + cacheDir.toAbsolutePath() + "\n"
                + "enable_local_ota_proxy_cache: " + cacheEnabled + "\n"
                + "proxy_id: " + proxyId + "\n";
        writeAtomically(proxyInfo, yaml);
    }

    /** A file under etc/ replaced in one step, so neither watcher ever reads half of it. */
    private static void writeAtomically(final Path file, final String text) throws IOException {
        final Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** Waits until a GET of {@code path} through the proxy, with these header lines, answers {@code status}. */
    private static void awaitStatus(final String what, final String path, final int status, final String... headers)
            throws Exception {
        final long deadline = System.currentTimeMillis() + 30_000;
        int last = -1;
        while (System.currentTimeMillis() < deadline) {
            try {
                last = RawHttpClient.get(proxyPort, origin.url(path), headers).status;
                if (last == status) {
                    return;
                }
            } catch (final IOException e) {
                last = -1; // the listener may be restarting
            }
            Thread.sleep(200);
        }
        fail(what + ": expected " + status + ", last answer " + last + karaf.diagnostics());
    }

    /** Waits until the proxy answers through Karaf: boot, feature resolution and the proxy's own Jetty. */
    private static void awaitProxy() throws InterruptedException {
        final long deadline = System.currentTimeMillis() + STARTUP_TIMEOUT_MS;
        while (System.currentTimeMillis() < deadline) {
            if (!karaf.isAlive()) {
                fail("Karaf exited during start-up" + karaf.diagnostics());
            }
            if (karaf.log().contains("Error installing boot features")) {
                fail("Karaf could not install the boot features" + karaf.diagnostics());
            }
            try {
                if (RawHttpClient.get(proxyPort, origin.url(READY_PATH), "OTA-File-Cache-Control: no_cache")
                        .status == 200) {
                    return;
                }
            } catch (final IOException notYet) {
                // nothing listens yet
            }
            Thread.sleep(250);
        }
        fail("ota-proxy did not answer through Karaf within " + STARTUP_TIMEOUT_MS + " ms" + karaf.diagnostics());
    }

    /** After the cache was switched back on: a fresh file is fetched once and then served from the cache. */
    private static void awaitCaching() throws Exception {
        final long deadline = System.currentTimeMillis() + 30_000;
        for (int i = 0; System.currentTimeMillis() < deadline; i++) {
            final String path = "/ota/karaf/probe-" + i + ".bin";
            origin.put(path, TestData.generate(1024, i));
            RawHttpClient.get(proxyPort, origin.url(path));
            RawHttpClient.get(proxyPort, origin.url(path));
            if (originRequests(path) == 1) {
                return;
            }
            Thread.sleep(200);
        }
        fail("the cache did not come back on after proxy_info.yml was restored" + karaf.diagnostics());
    }

    private static int originRequests(final String path) {
        return (int) origin.requests().stream().filter(r -> r.target().endsWith(path)).count();
    }

    private static void deleteTree(final Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (final Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        assertFalse(Files.exists(dir));
    }
}
