package io.otaproxy.runtime;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.util.List;

import io.otaproxy.testing.RawHttpClient;
import io.otaproxy.testing.TestData;
import io.otaproxy.testing.TestOrigin;

import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** End-to-end: {@code bin/ota-proxy} starts the jar with the heap and collector chosen for a gateway. */
public class LauncherScriptIT {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final TestOrigin origin = TestOrigin.start();
    private ProxyProcess proxy;

    @After
    public void stop() throws InterruptedException {
        if (proxy != null) {
            proxy.close();
        }
        origin.close();
    }

    @Test
    public void theScriptBoundsTheHeapAndServes() throws Exception {
        final int port = ProxyProcess.freePort();
        final Path cache = tmp.newFolder("cache").toPath();
        proxy = ProxyProcess.startScript(tmp.getRoot().toPath(), "--host", "127.0.0.1", "--port",
                Integer.toString(port), "--cache-dir", cache.toString());
        final List<String> log = proxy.output();
        assertTrue("the heap chosen by the script: " + log, log.stream()
                .anyMatch(l -> l.contains("max heap 12") && l.contains("collectors Copy, MarkSweepCompact")));
        final byte[] body = TestData.generate(300_000, 5);
        origin.put("/f", body);
        final RawHttpClient.Response r = RawHttpClient.get(port, origin.url("/f"));
        assertEquals(200, r.status);
        assertArrayEquals(body, r.body);
        final int code = proxy.terminate();
        assertTrue("exit code " + code + " after SIGTERM", code == 0 || code == 143);
    }
}
