package io.otaproxy.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import io.otaproxy.testing.Behaviour;
import io.otaproxy.testing.RawHttpClient;
import io.otaproxy.testing.RecordedRequest;
import io.otaproxy.testing.TestData;
import io.otaproxy.testing.TestOrigin;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.Bundle;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.cm.Configuration;

/**
 * Live operations: configuration changes through ConfigAdmin and through proxy_info.yml while a download runs,
 * a refused bad edit, and an in-place update of the proxy servlet bundle. Each test gets a fresh framework.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class LiveConfigIT extends ProxyTestSupport {

    private static final long SIZE = 6L * 1024 * 1024;
    /** About three seconds for the whole body: long enough to change the configuration half-way. */
    private static final long RATE = 2L * 1024 * 1024;

    /** The sha256 of the one-byte body {9} that the upper proxy answers with (no_cache: every test goes upstream). */
    private static final String VIA_SHA = TestData.sha256(new byte[] {9});

    private TestOrigin upper;

    @Before
    public void startUpper() throws IOException {
        upper = TestOrigin.start(); // stands in for an upper proxy: records what it is sent
    }

    @After
    public void stopUpper() {
        upper.close();
    }

    private CompletableFuture<RawHttpClient.Response> slowDownload() {
        origin.put("/slow.img", Behaviour.generated(SIZE, 7).rateLimited(RATE));
        return CompletableFuture.supplyAsync(() -> {
            try {
                return RawHttpClient.get(proxyPort(), origin.url("/slow.img"));
            } catch (final IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private void assertDownloadCompleted(final CompletableFuture<RawHttpClient.Response> download) throws Exception {
        final RawHttpClient.Response r = download.get(60, TimeUnit.SECONDS);
        assertEquals(200, r.status);
        assertTrue("the transfer in flight completes", r.complete);
        assertEquals(SIZE, r.bodyLength);
        assertEquals(TestData.sha256(SIZE, 7), r.sha256);
    }

    /** Waits until the origin has seen the request, so the change lands while the body is streaming. */
    private void awaitStreaming() throws InterruptedException {
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (origin.requests().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Thread.sleep(500);
    }

    private void assertGoesThroughUpper() throws Exception {
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            upper.put("http://127.0.0.1:" + origin.port() + "/via", new byte[] {9});
            final RawHttpClient.Response r = RawHttpClient.get(proxyPort(), origin.url("/via"),
                    "OTA-File-Cache-Control: no_cache,file_sha256=" + VIA_SHA);
            if (r.status == 200 && !upper.requests().isEmpty()) {
                final RecordedRequest seen = upper.requests().get(upper.requests().size() - 1);
                assertEquals("absolute form to the upper proxy", "http://127.0.0.1:" + origin.port() + "/via",
                        seen.target());
                assertEquals("the upper ota-proxy gets the directives", "no_cache,file_sha256=" + VIA_SHA,
                        seen.header("OTA-File-Cache-Control"));
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("requests never went through the upper proxy");
    }

    @Test
    public void configAdminChangeAppliesLiveWithoutCuttingADownload() throws Exception {
        final CompletableFuture<RawHttpClient.Response> download = slowDownload();
        awaitStreaming();
        final Configuration proxy = configAdmin.getConfiguration("io.otaproxy.proxy", "?");
        final Dictionary<String, Object> props = copy(proxy.getProperties());
        props.put("upper.proxy", "http://127.0.0.1:" + upper.port());
        proxy.update(props);
        assertDownloadCompleted(download);
        assertGoesThroughUpper();
    }

    @Test
    public void yamlEditAppliesLiveWithoutCuttingADownload() throws Exception {
        final CompletableFuture<RawHttpClient.Response> download = slowDownload();
        awaitStreaming();
        writeYaml(baseYaml(proxyPort(), work()) + "upper_ota_proxy: http://127.0.0.1:" + upper.port() + "\n"
                + "disk_use_limit_soft_p: 60\n");
        assertDownloadCompleted(download);
        assertGoesThroughUpper();
        assertEquals(60, configAdmin.getConfiguration("io.otaproxy.disk", "?").getProperties()
                .get("soft.limit.percent"));
    }

    @Test
    public void badYamlEditIsRefusedAndTheLastGoodConfigurationStays() throws Exception {
        writeYaml(baseYaml(proxyPort(), work()) + "disk_use_limit_soft_p: 65\n");
        awaitDiskSoftLimit(65);
        for (final String bad : List.of("disk_use_limit_soft_p: 90\ndisk_use_limit_hard_p: 80\n",
                "disk_use_limit_soft_p: [1, 2\n", "local_ota_proxy_listen_port: 70000\n",
                "enable_local_ota_proxy_cache: maybe\n")) {
            writeYaml(baseYaml(proxyPort(), work()) + bad);
            Thread.sleep(600); // several poll intervals of the configuration bundle
            assertEquals(bad, 65, configAdmin.getConfiguration("io.otaproxy.disk", "?").getProperties()
                    .get("soft.limit.percent"));
        }
        origin.put("/still", new byte[] {1, 2});
        assertEquals("the proxy keeps serving", 200, RawHttpClient.get(proxyPort(), origin.url("/still")).status);
    }

    private void awaitDiskSoftLimit(final int expected) throws Exception {
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            final Dictionary<String, Object> p = configAdmin.getConfiguration("io.otaproxy.disk", "?")
                    .getProperties();
            if (p != null && Integer.valueOf(expected).equals(p.get("soft.limit.percent"))) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("soft limit never became " + expected);
    }

    @Test
    public void proxyServletBundleUpdatesInPlaceAndServesAgain() throws Exception {
        origin.put("/after-update", new byte[] {4, 2});
        final Bundle servlet = installedBundle("io.otaproxy.proxy");
        final long id = servlet.getBundleId();
        try (InputStream in = new URL(servlet.getLocation()).openStream()) {
            servlet.update(in);
        }
        final CompletableFuture<Void> refreshed = new CompletableFuture<>();
        context.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(List.of(servlet),
                event -> refreshed.complete(null));
        refreshed.get(30, TimeUnit.SECONDS);
        assertEquals(id, installedBundle("io.otaproxy.proxy").getBundleId());
        assertEquals(200, getUntil(origin.url("/after-update"), r -> r.status == 200).status);
        assertEquals(Bundle.ACTIVE, installedBundle("io.otaproxy.proxy").getState());
    }

    @Test
    public void whileTheProxyBundleIsStoppedTheListenerSaysTryAgainNotNotFound() throws Exception {
        origin.put("/while-stopped", new byte[] {7});
        final Bundle servlet = installedBundle("io.otaproxy.proxy");
        servlet.stop();
        try {
            final RawHttpClient.Response r = RawHttpClient.get(proxyPort(), origin.url("/while-stopped"));
            assertEquals(r.bodyText(), 503, r.status);
            assertEquals("1", r.header("Retry-After"));
            assertTrue(r.bodyText(), r.bodyText().contains("try again"));
            assertEquals("nothing reached the origin", 0, origin.requestCount("/while-stopped"));
        } finally {
            servlet.start();
        }
        assertEquals("the proxy servlet is back in front of the standby", 200,
                getUntil(origin.url("/while-stopped"), r -> r.status != 503).status);
    }

    /** Asks the proxy for {@code url} until the answer is {@code done} (at most 20 s); the last answer. */
    private RawHttpClient.Response getUntil(final String url, final Predicate<RawHttpClient.Response> done)
            throws Exception {
        final long deadline = System.nanoTime() + 20_000_000_000L;
        RawHttpClient.Response r = RawHttpClient.get(proxyPort(), url);
        while (!done.test(r) && System.nanoTime() < deadline) {
            Thread.sleep(50);
            r = RawHttpClient.get(proxyPort(), url);
        }
        return r;
    }

    private static Dictionary<String, Object> copy(final Dictionary<String, Object> in) {
        final Dictionary<String, Object> out = new Hashtable<>();
        for (final String key : java.util.Collections.list(in.keys())) {
            out.put(key, in.get(key));
        }
        return out;
    }
}
