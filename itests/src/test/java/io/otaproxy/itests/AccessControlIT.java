package io.otaproxy.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.otaproxy.testing.Behaviour;
import io.otaproxy.testing.RawHttpClient;
import io.otaproxy.testing.TestData;
import io.otaproxy.testing.TestOrigin;

import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.service.cm.Configuration;

/**
 * Not an open proxy: allowed upstreams, loops back into the proxy (Via, its own address, a redirect, a chain to
 * itself), the request limits in all and per client, the upstream connection budget, and thousands of idle
 * connections while a normal client is served. Limits are changed live through proxy_info.yml.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class AccessControlIT extends ProxyTestSupport {

    private static final String ID = "it-proxy-7";

    private final ExecutorService pool = Executors.newCachedThreadPool();

    @Override
    protected String extraYaml() {
        return "proxy_id: " + ID + "\n";
    }

    @After
    public void stopPool() {
        pool.shutdownNow();
    }

    /**
     * Applies extra lines live through proxy_info.yml and waits until the proxy's configuration shows {@code key}
     * with {@code value} (and the servlet had a moment to take it).
     */
    private void reconfigure(final String lines, final String key, final Object value) throws Exception {
        writeYaml(baseYaml(proxyPort(), work()) + extraYaml() + lines);
        final long deadline = System.nanoTime() + 20_000_000_000L;
        while (true) {
            final Configuration[] found = configAdmin.listConfigurations("(service.pid=io.otaproxy.proxy)");
            final Object current = found == null ? null : found[0].getProperties().get(key);
            if (value.getClass().isArray() ? current != null && java.util.Arrays.equals((Object[]) value,
                    (Object[]) current) : value.equals(current)) {
                break;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("configuration not applied: " + lines + " (" + key + " = " + current + ")");
            }
            Thread.sleep(50);
        }
        Thread.sleep(300); // the configuration event reaches the servlet asynchronously
    }

    /** Back to the class's own configuration, checked key by key. */
    private void restore() throws Exception {
        reconfigure("", "upper.proxy", "");
        reconfigure("", "allowed.upstreams", new String[0]);
        reconfigure("", "max.concurrent.requests", 1024);
        reconfigure("", "max.requests.per.client", 0);
        reconfigure("", "max.upstream.connections", 256);
    }

    private int status(final String url, final String... headers) throws IOException {
        return RawHttpClient.get(proxyPort(), url, headers).status;
    }

    /**
     * The status a request gets once the proxy has let go of the requests before it. A client has the whole
     * response a moment before the proxy's side of that request ends and frees its slot, so a request sent right
     * then may still be refused; this asks again (for up to 5 s) while the answer is 429.
     */
    private static int statusOnceFreed(final Callable<Integer> request) throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        int status = request.call();
        while (status == 429 && System.nanoTime() < deadline) {
            Thread.sleep(20);
            status = request.call();
        }
        return status;
    }

    @Test
    public void forwardedRequestsCarryTheProxyIdAndALoopedOneIs508() throws IOException {
        origin.put("/v", new byte[] {1});
        assertEquals(200, status(origin.url("/v"), "Via: 1.0 ecu-side"));
        assertEquals(List.of("1.0 ecu-side", "1.1 " + ID), origin.lastRequest().headerValues("Via"));
        origin.clear();
        for (final String via : List.of("1.1 " + ID, "1.0 other, 1.1 IT-PROXY-7", "HTTP/1.1 " + ID + " (ota)")) {
            final RawHttpClient.Response r = RawHttpClient.get(proxyPort(), origin.url("/v"), "Via: " + via);
            assertEquals(via, 508, r.status);
            assertTrue(r.bodyText(), r.bodyText().contains("Loop detected"));
        }
        origin.put("/v2", new byte[] {2});
        assertEquals("1.1 other-proxy does not count", 200, status(origin.url("/v2"), "Via: 1.1 other-proxy"));
        assertEquals(1, origin.requests().size());
    }

    @Test
    public void aChainBackIntoItselfEndsAfterOneHop() throws Exception {
        origin.put("/chain", new byte[] {1});
        try {
            // the upper proxy is this proxy: the request comes back once, carrying its own id, and stops there
            reconfigure("upper_ota_proxy: http://127.0.0.1:" + proxyPort() + "\n", "upper.proxy",
                    "http://127.0.0.1:" + proxyPort());
            final RawHttpClient.Response r = RawHttpClient.get(proxyPort(), origin.url("/chain"));
            assertEquals(r.bodyText(), 508, r.status);
            assertTrue(r.bodyText(), r.bodyText().contains("Loop detected"));
            assertEquals(0, origin.requests().size());
        } finally {
            restore();
        }
    }

    @Test
    public void redirectsBackIntoTheProxyAre508() throws IOException {
        for (final String self : List.of("http://127.0.0.1:" + proxyPort() + "/x", "http://localhost:" + proxyPort()
                + "/x", "http://127.0.0.2:" + proxyPort() + "/x")) {
            origin.put("/r", Behaviour.redirect(302, self));
            final RawHttpClient.Response r = RawHttpClient.get(proxyPort(), origin.url("/r"),
                    "OTA-File-Cache-Control: no_cache");
            assertEquals(self, 508, r.status);
        }
        // and a request that names the proxy directly keeps the reference's answer
        assertEquals(400, status("http://127.0.0.1:" + proxyPort() + "/x"));
    }

    @Test
    public void onlyAllowedUpstreamsAreContacted() throws Exception {
        try (TestOrigin other = TestOrigin.start()) {
            other.put("/o", new byte[] {2});
            origin.put("/a", new byte[] {1});
            origin.put("/to-other", Behaviour.redirect(302, other.url("/o")));
            try {
                reconfigure("allowed_upstreams: ['127.0.0.1:" + origin.port() + "']\n", "allowed.upstreams",
                        new String[] {"127.0.0.1:" + origin.port()});
                assertEquals(200, status(origin.url("/a")));
                final RawHttpClient.Response refused = RawHttpClient.get(proxyPort(), other.url("/o"));
                assertEquals(403, refused.status);
                assertTrue(refused.bodyText(), refused.bodyText().contains("allowed_upstreams"));
                assertEquals("a redirect cannot leave the allowed set", 403, RawHttpClient.get(proxyPort(),
                        origin.url("/to-other"), "OTA-File-Cache-Control: no_cache").status);
                assertEquals(403, status("http://localhost:" + other.port() + "/o"));
                assertEquals(403, status("http://[::1]:" + other.port() + "/o"));

                // a network with a port range, and a name rule
                final String[] rules = {"127.0.0.0/8:" + other.port() + "-" + other.port(), "localhost:" + origin.port()};
                reconfigure("allowed_upstreams: ['" + rules[0] + "', '" + rules[1] + "']\n", "allowed.upstreams", rules);
                assertEquals(200, status(other.url("/o")));
                assertEquals(403, status(origin.url("/a")));
                assertEquals(200, status("http://localhost:" + origin.port() + "/a"));
                assertEquals(0, other.requests().stream().filter(q -> q.target().equals("/to-other")).count());
            } finally {
                restore();
            }
            assertEquals("default: any upstream", 200, status(other.url("/o")));
        }
    }

    @Test
    public void requestsBeyondTheLimitGet429AndOthersGoOn() throws Exception {
        for (int i = 0; i < 3; i++) {
            // headers at once, then a body that takes about two seconds (each read well within the read timeout)
            origin.put("/hold" + i, Behaviour.generated(64 * 1024, i).rateLimited(32 * 1024));
        }
        origin.put("/quick", new byte[] {5});
        try {
            reconfigure("max_concurrent_requests: 2\n", "max.concurrent.requests", 2);
            final List<Future<Integer>> held = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                final String url = origin.url("/hold" + i);
                held.add(pool.submit(() -> RawHttpClient.get(proxyPort(), url).status));
            }
            assertTrue(origin.awaitRequests(2, 5_000));
            final RawHttpClient.Response third = RawHttpClient.get(proxyPort(), origin.url("/quick"));
            assertEquals(429, third.status);
            assertNotNull(third.header("Retry-After"));
            for (final Future<Integer> f : held) {
                assertEquals(Integer.valueOf(200), f.get(20, TimeUnit.SECONDS));
            }
            assertEquals("served again once the others are done", 200,
                    statusOnceFreed(() -> status(origin.url("/quick"))));
        } finally {
            restore();
        }
    }

    @Test
    public void theLimitPerClientLeavesOtherClientsAlone() throws Exception {
        origin.put("/mine", Behaviour.generated(64 * 1024, 9).rateLimited(32 * 1024));
        origin.put("/second", new byte[] {6});
        try {
            reconfigure("max_requests_per_client: 1\n", "max.requests.per.client", 1);
            final Future<Integer> held = pool.submit(() -> RawHttpClient.get(proxyPort(), origin.url("/mine")).status);
            assertTrue(origin.awaitRequests(1, 5_000));
            final String second = "GET " + origin.url("/second") + " HTTP/1.1\r\nHost: " + origin.authority()
                    + "\r\nConnection: close\r\n\r\n";
            assertEquals(429, RawExchange.send("127.0.0.1", proxyPort(), RawExchange.ascii(second), 10_000).status);
            assertEquals("another address is another client", 200,
                    RawExchange.send("127.0.0.2", proxyPort(), RawExchange.ascii(second), 10_000).status);
            assertEquals(Integer.valueOf(200), held.get(20, TimeUnit.SECONDS));
            assertEquals(200, statusOnceFreed(
                    () -> RawExchange.send("127.0.0.1", proxyPort(), RawExchange.ascii(second), 10_000).status));
        } finally {
            restore();
        }
    }

    @Test
    public void theUpstreamConnectionBudgetAnswers503WhenSpent() throws Exception {
        origin.put("/long", Behaviour.generated(256 * 1024, 3).rateLimited(64 * 1024));
        origin.put("/other", new byte[] {8});
        try {
            reconfigure("max_upstream_connections: 1\n", "max.upstream.connections", 1);
            final Future<Integer> held = pool.submit(() -> RawHttpClient.get(proxyPort(), origin.url("/long"),
                    "OTA-File-Cache-Control: no_cache").status);
            assertTrue(origin.awaitRequests(1, 5_000));
            final RawHttpClient.Response busy = RawHttpClient.get(proxyPort(), origin.url("/other"),
                    "OTA-File-Cache-Control: no_cache");
            assertEquals(busy.bodyText(), 503, busy.status);
            assertTrue(busy.bodyText(), busy.bodyText().contains("upstream connections"));
            assertEquals(Integer.valueOf(200), held.get(20, TimeUnit.SECONDS));
            assertEquals(200, status(origin.url("/other"), "OTA-File-Cache-Control: no_cache"));
        } finally {
            restore();
        }
    }

    @Test
    public void twoThousandIdleConnectionsDoNotStopANormalClient() throws Exception {
        final int idle = 2_000;
        final List<Socket> sockets = new ArrayList<>(idle);
        final byte[] body = TestData.generate(1024 * 1024, 77);
        origin.put("/busy-day", body);
        try {
            for (int i = 0; i < idle; i++) {
                final Socket s = RawExchange.connect("127.0.0." + (1 + i % 4), proxyPort());
                if (i % 2 == 1) {
                    // half of them start a request and never finish its head
                    s.getOutputStream().write(RawExchange.ascii("GET " + origin.url("/never") + " HTTP/1.1\r\n"));
                    s.getOutputStream().flush();
                }
                sockets.add(s);
            }
            final long start = System.nanoTime();
            final RawHttpClient.Response r = RawHttpClient.get(proxyPort(), origin.url("/busy-day"));
            final long millis = (System.nanoTime() - start) / 1_000_000;
            assertEquals(200, r.status);
            assertArrayEquals(body, r.body);
            // the idle connections are still open: the proxy neither dropped them nor was stopped by them
            int open = 0;
            for (final Socket s : sockets) {
                s.setSoTimeout(1);
                try {
                    if (s.getInputStream().read() >= 0) {
                        continue;
                    }
                } catch (final SocketTimeoutException e) {
                    open++;
                } catch (final IOException e) {
                    // reset
                }
            }
            System.out.println("idle connections: " + idle + ", still open: " + open + ", normal request took "
                    + millis + " ms");
            assertEquals(idle, open);
            assertNull(origin.requests().stream().filter(q -> q.target().equals("/never")).findAny().orElse(null));
        } finally {
            for (final Socket s : sockets) {
                s.close();
            }
        }
    }
}
