package io.otaproxy.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.concurrent.TimeUnit;

import io.otaproxy.testing.RawHttpClient;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;

/**
 * The cache store's very first configuration is invalid: the cache bundle is installed but not started, a relay
 * memory below the store's minimum is written directly into {@code io.otaproxy.cache}, and only then does the
 * bundle start. The store must not open, so the proxy relays every request without caching, {@code /api/status}
 * names the refused key and value, and the first valid edit opens the store: a repeated GET is then a hit.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RefusedFirstCacheConfigurationIT extends ProxyTestSupport {

    private static final String CACHE_PID = "io.otaproxy.cache";
    private static final String RELAY_KEY = "relay.memory.bytes";
    /** Below the store's minimum of 1 MiB. */
    private static final long TOO_SMALL = 1024;

    @Override
    protected boolean startedByTheTest(final String jarName) {
        return jarName.startsWith("ota-proxy-cache-");
    }

    @Test
    public void anInvalidFirstConfigurationOpensNoStoreAndTheFirstValidEditOpensIt() throws Exception {
        final Bundle cache = installedBundle("io.otaproxy.cache");
        assertTrue("the cache bundle has not run yet",
                cache.getState() == Bundle.INSTALLED || cache.getState() == Bundle.RESOLVED);
        consoleEdit(CACHE_PID, RELAY_KEY, TOO_SMALL);
        cache.start();

        awaitStatus(t -> t.contains("\"pid\":\"" + CACHE_PID + "\",\"key\":\"" + RELAY_KEY + "\",\"value\":\""
                + TOO_SMALL + "\""));
        origin.put("/relayed", new byte[] {1, 2});
        assertEquals(200, RawHttpClient.get(proxyPort(), origin.url("/relayed")).status);
        assertEquals(200, RawHttpClient.get(proxyPort(), origin.url("/relayed")).status);
        assertEquals("no store: both requests went upstream", 2, origin.requestCount("/relayed"));

        consoleEdit(CACHE_PID, RELAY_KEY, 4L << 20);
        awaitStatus(t -> t.contains("\"refusedConfigurations\":[]"));
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        for (int i = 0; System.nanoTime() < deadline; i++) {
            final String path = "/cached-" + i;
            origin.put(path, new byte[] {3, 4, 5});
            RawHttpClient.get(proxyPort(), origin.url(path));
            RawHttpClient.get(proxyPort(), origin.url(path));
            if (origin.requestCount(path) == 1) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the cache store never opened after the valid edit");
    }

}
