package io.otaproxy.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import io.otaproxy.testing.RawHttpClient;

import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;

/**
 * A component whose very first configuration is invalid: the proxy bundle is installed but not started, a value
 * below the proxy's minimum is written directly into {@code io.otaproxy.proxy} (over what proxy_info.yml wrote),
 * and only then does the bundle start. Nothing may be served, on that configuration or on the component's
 * defaults: every request gets 503 with Retry-After, upstream sees nothing, {@code /api/status} names the refused
 * key and value and says the proxy is not serving; the first valid edit starts the proxy and withdraws the refusal.
 * (The proxy servlet is activated idle rather than failed: the HTTP whiteboard would never ask for a failed
 * servlet again, and the valid edit would then start nothing, which is what this test first found.)
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RefusedFirstConfigurationIT extends ProxyTestSupport {

    private static final String PROXY_PID = "io.otaproxy.proxy";
    private static final String BUDGET_KEY = "memory.budget.bytes";
    /** Far below the proxy's minimum of 8 MiB; the component's default (48 MiB) would be valid. */
    private static final long TOO_SMALL = 1024;

    @Override
    protected boolean startedByTheTest(final String jarName) {
        return jarName.startsWith("ota-proxy-proxy-");
    }

    /** The listener comes up with the standby alone: it answers every request with 503 until the proxy runs. */
    @Override
    @Before
    public void awaitProxy() throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            try {
                if (RawHttpClient.exchange(proxyPort(), "GET", "/", true).status == 503) {
                    return;
                }
            } catch (final IOException e) {
                // not listening yet
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the standby never answered on port " + proxyPort());
    }

    @Test
    public void anInvalidFirstConfigurationStartsNothingAndTheFirstValidEditStartsTheProxy() throws Exception {
        final Bundle proxy = installedBundle("io.otaproxy.proxy");
        assertTrue("the proxy bundle has not run yet",
                proxy.getState() == Bundle.INSTALLED || proxy.getState() == Bundle.RESOLVED);
        origin.put("/first", new byte[] {4, 5, 6});

        // proxy_info.yml's settings are in place before the component ever ran; one of them is overwritten
        consoleEdit(PROXY_PID, BUDGET_KEY, TOO_SMALL);
        proxy.start();
        assertEquals(Bundle.ACTIVE, proxy.getState());

        final String refused = awaitStatus(t -> t.contains("\"pid\":\"" + PROXY_PID + "\",\"key\":\"" + BUDGET_KEY
                + "\",\"value\":\"" + TOO_SMALL + "\""));
        assertTrue(refused, refused.contains("at least " + (6L << 20) + " bytes"));
        // the proxy does not serve, on that configuration or on its defaults, however long one asks
        for (int i = 0; i < 10; i++) {
            final RawHttpClient.Response r = RawHttpClient.get(proxyPort(), origin.url("/first"));
            assertEquals("the standby's answer while the proxy is refused", 503, r.status);
            assertNotNull("the standby asks to come back", r.header("Retry-After"));
            Thread.sleep(100);
        }
        assertEquals("nothing reached upstream", 0, origin.requestCount("/first"));
        assertTrue(refused, refused.contains("\"serving\":false"));
        assertEquals("still the direct value: the refusal did not make the bridge overwrite it", TOO_SMALL,
                configAdmin.getConfiguration(PROXY_PID, "?").getProperties().get(BUDGET_KEY));

        // the first valid edit starts the proxy and withdraws the refusal
        consoleEdit(PROXY_PID, BUDGET_KEY, 16L << 20);
        final RawHttpClient.Response served = awaitGet("/first", r -> r.status == 200);
        assertEquals(3, served.body.length);
        awaitStatus(t -> t.contains("\"refusedConfigurations\":[]") && t.contains("\"serving\":true"));
    }

    private RawHttpClient.Response awaitGet(final String path, final Predicate<RawHttpClient.Response> condition)
            throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        RawHttpClient.Response last = null;
        while (System.nanoTime() < deadline) {
            last = RawHttpClient.get(proxyPort(), origin.url(path));
            if (condition.test(last)) {
                return last;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("GET " + path + " never matched; last status " + (last == null ? "-" : last.status));
    }

}
