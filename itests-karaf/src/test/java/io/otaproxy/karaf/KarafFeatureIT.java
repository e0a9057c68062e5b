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
        writeProxyInfo(true);
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
        writeProxyInfo(false);
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
            writeProxyInfo(true);
        }
        awaitCaching();
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

    private static void writeProxyInfo(final boolean cacheEnabled) throws IOException {
        final String yaml = "local_ota_proxy_listen_addr: 127.0.0.1\n"
                + "local_ota_proxy_listen_port: " + proxyPort + "\n"
                + "admin_listen_port: " + adminPort + "\n"
                + "cache_dir: " + cacheDir.toAbsolutePath() + "\n"
                + "enable_local_ota_proxy_cache: " + cacheEnabled + "\n";
        final Path tmp = proxyInfo.resolveSibling(proxyInfo.getFileName() + ".tmp");
        Files.writeString(tmp, yaml, StandardCharsets.UTF_8);
        Files.move(tmp, proxyInfo, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
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
