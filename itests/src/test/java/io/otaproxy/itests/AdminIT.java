package io.otaproxy.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.otaproxy.testing.Behaviour;
import io.otaproxy.testing.RawHttpClient;
import io.otaproxy.testing.TestData;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.slf4j.LoggerFactory;

/**
 * The admin endpoint on its own port: metrics and the status JSON following a real download through the proxy,
 * the admin API's purge and evict refused until the configuration allows them, the shell commands' service, and
 * log_level applied live.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class AdminIT extends ProxyTestSupport {

    private RawHttpClient.Response admin(final String method, final String path) throws IOException {
        return method.equals("POST") ? RawHttpClient.exchange(adminPort(), "POST", path, true, "Content-Length: 0")
                : RawHttpClient.exchange(adminPort(), method, path, true);
    }

    private String adminText(final String path) throws IOException {
        final RawHttpClient.Response r = admin("GET", path);
        assertEquals(path, 200, r.status);
        return r.bodyText();
    }

    /** Polls {@code path} until its body satisfies {@code condition}; fails with the last body after 20 s. */
    private String awaitAdmin(final String path, final Predicate<String> condition) throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        String last = "";
        while (System.nanoTime() < deadline) {
            try {
                last = adminText(path);
                if (condition.test(last)) {
                    return last;
                }
            } catch (final IOException | AssertionError e) {
                last = e.toString(); // the admin listener may still be starting
            }
            Thread.sleep(50);
        }
        throw new AssertionError(path + " never matched; last: " + last);
    }

    private static long metric(final String metrics, final String series) {
        final Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\d+)$", Pattern.MULTILINE).matcher(metrics);
        assertTrue("no series " + series + " in\n" + metrics, m.find());
        return Long.parseLong(m.group(1));
    }

    @Test
    public void metricsAndStatusFollowADownloadFromMissToHit() throws Exception {
        final String before = awaitAdmin("/metrics", t -> t.contains("otaproxy_requests_total"));
        final long size = 1_048_576;
        origin.put("/slow.bin", Behaviour.generated(size, 71).rateLimited(256 * 1024));
        final String url = origin.url("/slow.bin");
        final CompletableFuture<RawHttpClient.Response> client = CompletableFuture.supplyAsync(() -> {
            try {
                return RawHttpClient.get(proxyPort(), url);
            } catch (final IOException e) {
                throw new IllegalStateException(e);
            }
        });
        // the running download appears with its URL, its announced length, its reader and some progress
        final Pattern running = Pattern.compile("\\{\"key\":\"[0-9a-f]{64}\",\"url\":\"" + Pattern.quote(url)
                + "\",\"state\":\"downloading\",\"bytesReceived\":(\\d+),\"expectedBytes\":" + size
                + ",\"readers\":1,");
        final String during = awaitAdmin("/api/status", t -> {
            final Matcher m = running.matcher(t);
            return m.find() && Long.parseLong(m.group(1)) > 0;
        });
        final Matcher m = running.matcher(during);
        assertTrue(m.find());
        assertTrue("in flight, not done: " + m.group(1), Long.parseLong(m.group(1)) < size);
        assertEquals(1, metric(adminText("/metrics"), "otaproxy_fills_in_flight"));

        final RawHttpClient.Response first = client.get(30, TimeUnit.SECONDS);
        assertEquals(200, first.status);
        assertEquals(TestData.sha256(size, 71), first.sha256);
        // the client has its body before the entry is committed (fsync runs after the last byte went out);
        // a request in that moment would share the finished download, so wait for the commit to land
        awaitAdmin("/metrics", t -> metric(t, "otaproxy_fills_in_flight") == 0);
        assertEquals(200, RawHttpClient.get(proxyPort(), url).status); // from the cache

        final String after = awaitAdmin("/metrics", t -> metric(t, "otaproxy_fills_in_flight") == 0
                && metric(t, "otaproxy_requests_total{outcome=\"hit\"}") > metric(before,
                        "otaproxy_requests_total{outcome=\"hit\"}"));
        assertEquals(1, metric(after, "otaproxy_requests_total{outcome=\"miss\"}")
                - metric(before, "otaproxy_requests_total{outcome=\"miss\"}"));
        assertEquals(1, metric(after, "otaproxy_requests_total{outcome=\"hit\"}")
                - metric(before, "otaproxy_requests_total{outcome=\"hit\"}"));
        assertTrue("two bodies served", metric(after, "otaproxy_served_bytes_total")
                - metric(before, "otaproxy_served_bytes_total") >= 2 * size);
        assertTrue("one body fetched", metric(after, "otaproxy_upstream_bytes_total")
                - metric(before, "otaproxy_upstream_bytes_total") >= size);
        assertTrue(metric(after, "otaproxy_cache_entries") >= 1);
        assertTrue(metric(after, "otaproxy_cache_size_bytes") >= size);
        assertTrue(metric(after, "otaproxy_disk_total_bytes") > 0);
        assertTrue(metric(after, "otaproxy_disk_free_bytes") > 0);
        assertEquals(1, metric(after, "otaproxy_space_state{state=\"below_soft\"}")
                + metric(after, "otaproxy_space_state{state=\"above_soft\"}")
                + metric(after, "otaproxy_space_state{state=\"above_hard\"}"));
    }

    @Test
    public void whetherTheProxyServesIsShownWhileItsBundleIsStoppedAndBack() throws Exception {
        awaitAdmin("/metrics", t -> t.contains("otaproxy_proxy_serving 1\n"));
        final Bundle proxyBundle = installedBundle("io.otaproxy.proxy");
        proxyBundle.stop();
        try {
            awaitAdmin("/metrics", t -> t.contains("otaproxy_proxy_serving 0\n"));
            assertTrue(adminText("/api/status").contains("\"serving\":false"));
        } finally {
            proxyBundle.start();
        }
        awaitAdmin("/metrics", t -> t.contains("otaproxy_proxy_serving 1\n"));
        assertTrue(adminText("/api/status").contains("\"serving\":true"));
    }

    @Test
    public void anUnreachableUpstreamCountsAsAnErrorAndIsListed() throws Exception {
        final String before = awaitAdmin("/metrics", t -> t.contains("otaproxy_requests_total"));
        final int closed = freePort();
        final String url = "http://127.0.0.1:" + closed + "/gone.bin";
        assertEquals(502, RawHttpClient.get(proxyPort(), url).status);
        final String after = awaitAdmin("/metrics", t -> metric(t, "otaproxy_requests_total{outcome=\"error\"}")
                > metric(before, "otaproxy_requests_total{outcome=\"error\"}"));
        assertEquals(1, metric(after, "otaproxy_upstream_errors_total{stage=\"request\"}")
                - metric(before, "otaproxy_upstream_errors_total{stage=\"request\"}"));
        final String status = adminText("/api/status");
        assertTrue(status, status.contains("\"source\":\"proxy\",\"message\":\"" + url + ": upstream unreachable"));
    }

    @Test
    public void purgeAndEvictAreRefusedUntilTheConfigurationAllowsThem() throws Exception {
        awaitAdmin("/api/status", t -> t.contains("\"destructiveAllowed\":false"));
        final RawHttpClient.Response refused = admin("POST", "/api/purge?key=all");
        assertEquals(403, refused.status);
        assertTrue(refused.bodyText(), refused.bodyText().contains("admin_allow_destructive: true"));
        assertEquals(403, admin("POST", "/api/evict").status);
        assertEquals("actions are POST only", 405, admin("GET", "/api/purge?key=all").status);

        final byte[] body = TestData.generate(100_000, 72);
        final String sha = TestData.sha256(body);
        origin.put("/purge-me.bin", Behaviour.ok(body));
        final String directive = "OTA-File-Cache-Control: file_sha256=" + sha;
        assertEquals(200, RawHttpClient.get(proxyPort(), origin.url("/purge-me.bin"), directive).status);
        assertEquals(200, RawHttpClient.get(proxyPort(), origin.url("/purge-me.bin"), directive).status);
        assertEquals("the second request was a hit", 1, origin.requestCount("/purge-me.bin"));

        writeYaml(baseYaml(proxyPort(), work()) + extraYaml() + "admin_allow_destructive: true\n");
        awaitAdmin("/api/status", t -> t.contains("\"destructiveAllowed\":true"));
        final RawHttpClient.Response purged = admin("POST", "/api/purge?key=" + sha);
        assertEquals(purged.bodyText(), 200, purged.status);
        assertTrue(purged.bodyText(), purged.bodyText().contains("\"ok\":true") && purged.bodyText().contains("\"amount\":1"));
        assertEquals(200, RawHttpClient.get(proxyPort(), origin.url("/purge-me.bin"), directive).status);
        assertEquals("purged: fetched again", 2, origin.requestCount("/purge-me.bin"));

        assertEquals(400, admin("POST", "/api/purge?key=../../etc").status);
        assertEquals(400, admin("POST", "/api/purge").status);
        final RawHttpClient.Response all = admin("POST", "/api/purge?key=all");
        assertEquals(200, all.status);
        assertTrue(all.bodyText(), all.bodyText().matches(".*\"amount\":[1-9]\\d*.*"));
        final RawHttpClient.Response evict = admin("POST", "/api/evict");
        assertEquals(200, evict.status);
        assertTrue(evict.bodyText(), evict.bodyText().contains("\"ok\":true"));
    }

    @Test
    public void theShellCommandsServiceAnswersWithoutAShellInstalled() throws Exception {
        final ServiceReference<?>[] refs = context.getServiceReferences((String) null, "(osgi.command.scope=otaproxy)");
        assertEquals(1, refs.length);
        final Object functions = refs[0].getProperty("osgi.command.function");
        assertEquals("[status, purge, evict]", java.util.Arrays.toString((String[]) functions));
        final Object commands = context.getService(refs[0]);
        try {
            final Method status = commands.getClass().getMethod("status");
            final String text = (String) status.invoke(commands);
            assertTrue(text, text.contains("requests:") && text.contains("disk:") && text.contains("downloads:"));
            awaitAdmin("/api/status", t -> t.contains("\"destructiveAllowed\":false"));
            final Method purge = commands.getClass().getMethod("purge", String.class);
            final String refused = (String) purge.invoke(commands, "all");
            assertTrue(refused, refused.contains("destructive operations are disabled"));
            final String evict = (String) commands.getClass().getMethod("evict").invoke(commands);
            assertTrue(evict, evict.contains("disabled"));
        } finally {
            context.ungetService(refs[0]);
        }
    }

    @Test
    public void logLevelEditsApplyLive() throws Exception {
        final org.slf4j.Logger logger = LoggerFactory.getLogger("io.otaproxy.itests.live");
        assertFalse(logger.isDebugEnabled());
        writeYaml(baseYaml(proxyPort(), work()) + extraYaml() + "log_level: debug\n");
        awaitTrue(logger::isDebugEnabled);
        writeYaml(baseYaml(proxyPort(), work()) + extraYaml() + "log_level: warn\n");
        awaitTrue(() -> !logger.isInfoEnabled());
        writeYaml(baseYaml(proxyPort(), work()) + extraYaml());
        awaitTrue(() -> logger.isInfoEnabled() && !logger.isDebugEnabled());
    }

    private static void awaitTrue(final java.util.function.BooleanSupplier condition) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 20 s");
            }
            Thread.sleep(50);
        }
    }
}
