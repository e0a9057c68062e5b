package io.otaproxy.runtime;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameter;
import org.junit.runners.Parameterized.Parameters;

import io.otaproxy.testing.RawHttpClient;
import io.otaproxy.testing.RecordedRequest;
import io.otaproxy.testing.TestData;
import io.otaproxy.testing.TestOrigin;

/**
 * ota-proxy below a standard cache: Squid or nginx as the {@code upper_ota_proxy} of two ota-proxy processes (two
 * cars under one depot or CDN tier), an origin above. The first car's download fills the upper cache, the second
 * car is served from it, and the origin sees one request; {@code OTA-File-Cache-Control} reaches the origin
 * through the standard cache.
 */
@RunWith(Parameterized.class)
public class UpperCacheChainIT {

    private static final String READY_PATH = "/upper-ready";

    @Parameters(name = "{0}")
    public static List<Object[]> caches() {
        return List.of(new Object[] {"squid"}, new Object[] {"nginx"});
    }

    @Parameter
    public String cacheName;

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final List<ProxyProcess> cars = new ArrayList<>();
    private TestOrigin origin;
    private UpperCache upper;

    @After
    public void stopAll() throws InterruptedException {
        for (final ProxyProcess p : cars) {
            p.close();
        }
        if (upper != null) {
            upper.close();
        }
        if (origin != null) {
            origin.close();
        }
    }

    /** Starts one ota-proxy per name, all at once, each with its own cache and the upper cache as upper proxy. */
    private int[] cars(final String... names) throws Exception {
        final int[] ports = new int[names.length];
        final List<CompletableFuture<ProxyProcess>> starting = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            ports[i] = ProxyProcess.freePort();
            final List<String> args = List.of("--host", "127.0.0.1", "--port", Integer.toString(ports[i]),
                    "--cache-dir", tmp.newFolder(names[i] + "-cache").toString(), "--upper-proxy", upper.url());
            starting.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return ProxyProcess.start(tmp.getRoot().toPath(), List.of("-Xmx128m"), args.toArray(new String[0]));
                } catch (final Exception e) {
                    throw new CompletionException(e);
                }
            }));
        }
        for (final CompletableFuture<ProxyProcess> s : starting) {
            cars.add(s.get(120, TimeUnit.SECONDS));
        }
        return ports;
    }

    @Test
    public void secondCarIsServedFromTheUpperCache() throws Exception {
        origin = TestOrigin.start();
        origin.put(READY_PATH, "ready".getBytes(StandardCharsets.US_ASCII));
        // a pre-signed style query with an escaped slash: it must reach the origin byte for byte through both tiers
        final String file = "/depot/" + cacheName + "/ecu-main.bin";
        final String path = file + "?X-Amz-Signature=ab%2Fcd";
        final byte[] body = TestData.generate(5 * 1024 * 1024 + 3, 11);
        final String sha = TestData.sha256(body);
        origin.put(path, body);
        upper = UpperCache.start(cacheName, origin.url(READY_PATH));
        final int[] ports = cars("car-a", "car-b");
        final int carA = ports[0];
        final int carB = ports[1];
        final String ota = "OTA-File-Cache-Control: file_sha256=" + sha;

        final RawHttpClient.Response first = RawHttpClient.get(carA, origin.url(path), ota);
        assertEquals(upper.diagnostics(), 200, first.status);
        assertEquals(body.length, first.bodyLength);
        assertEquals(sha, first.sha256);
        final List<RecordedRequest> upstream = originRequests(path);
        assertEquals("one request reached the origin" + upper.diagnostics(), 1, upstream.size());
        assertEquals("the request-target passed both tiers unchanged", path, upstream.get(0).target());
        final String forwarded = upstream.get(0).header("OTA-File-Cache-Control");
        assertNotNull("OTA-File-Cache-Control reached the origin through " + cacheName, forwarded);
        assertTrue(forwarded, forwarded.contains("file_sha256=" + sha));

        final RawHttpClient.Response second = RawHttpClient.get(carB, origin.url(path), ota);
        assertEquals(200, second.status);
        assertEquals(sha, second.sha256);
        assertEquals("car B was served by the upper cache: the origin still saw one request" + upper.diagnostics(),
                1, originRequests(path).size());
        assertEquals("the upper cache logged one hit, for car B" + upper.diagnostics(), 1, awaitHits(file, 1));

        final RawHttpClient.Response again = RawHttpClient.get(carA, origin.url(path), ota);
        assertEquals(200, again.status);
        assertEquals(sha, again.sha256);
        assertEquals("car A answers a repeat from its own cache", 1, originRequests(path).size());
        assertEquals("and the upper cache did not see it", 1, upper.hits(file));
    }

    /** The access log line may be written just after the response ended. */
    private long awaitHits(final String file, final long expected) throws Exception {
        final long deadline = System.currentTimeMillis() + 5_000;
        long hits;
        while ((hits = upper.hits(file)) < expected && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        return hits;
    }

    private List<RecordedRequest> originRequests(final String path) {
        return origin.requests().stream().filter(r -> r.target().endsWith(path)).toList();
    }
}
