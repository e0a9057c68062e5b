package io.otaproxy.runtime;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.otaproxy.testing.RawHttpClient;
import io.otaproxy.testing.TestOrigin;

import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * log_level edited in proxy_info.yml of a running jar takes effect without a restart: at debug every request ends
 * in one line naming its outcome, at info there is none.
 */
public class LogLevelE2EIT {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private TestOrigin origin;
    private ProxyProcess proxy;

    @Before
    public void startOrigin() {
        origin = TestOrigin.start();
    }

    @After
    public void stop() throws InterruptedException {
        if (proxy != null) {
            proxy.close();
        }
        origin.close();
    }

    @Test
    public void logLevelEditsApplyToTheRunningProxy() throws Exception {
        final int port = ProxyProcess.freePort();
        final Path yml = tmp.newFile("proxy_info.yml").toPath();
        final String base = "local_ota_proxy_listen_addr: 127.0.0.1\nlocal_ota_proxy_listen_port: " + port
                + "\ncache_dir: " + tmp.getRoot().toPath().resolve("cache") + "\n";
        write(yml, base + "log_level: info\n");
        proxy = ProxyProcess.start(tmp.getRoot().toPath(), List.of(), "--config", yml.toString());
        origin.put("/quiet.bin", new byte[] {1, 2, 3});
        origin.put("/loud.bin", new byte[] {4, 5, 6, 7});

        assertEquals(200, RawHttpClient.get(port, origin.url("/quiet.bin")).status);
        write(yml, base + "log_level: debug\n");
        awaitLogged("Log level debug");
        assertEquals(200, RawHttpClient.get(port, origin.url("/loud.bin")).status);
        awaitLogged("miss GET " + origin.url("/loud.bin") + " -> 200, 4 bytes");
        // the client has its body before the entry is committed: a request in between joins the download
        awaitLogged("Committed ");
        assertEquals(200, RawHttpClient.get(port, origin.url("/loud.bin")).status);
        awaitLogged("hit GET " + origin.url("/loud.bin") + " -> 200, 4 bytes");
        assertFalse("nothing was logged for the request made at info",
                proxy.logged("GET " + origin.url("/quiet.bin") + " -> "));

        final long infoLines = count("Log level info");
        write(yml, base + "log_level: info\n");
        awaitCount("Log level info", infoLines + 1);
        assertEquals(200, RawHttpClient.get(port, origin.url("/quiet.bin")).status);
        Thread.sleep(500); // a debug line would be written before the response completes; give the pipe time
        assertFalse("back at info: no request lines; output:\n" + String.join("\n", proxy.output()),
                proxy.logged("GET " + origin.url("/quiet.bin") + " -> "));
    }

    private long count(final String fragment) {
        return proxy.output().stream().filter(l -> l.contains(fragment)).count();
    }

    private void awaitLogged(final String fragment) throws InterruptedException {
        awaitCount(fragment, 1);
    }

    private void awaitCount(final String fragment, final long lines) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (count(fragment) < lines) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("never logged '" + fragment + "'; output:\n"
                        + String.join("\n", proxy.output()));
            }
            Thread.sleep(50);
        }
    }

    private static void write(final Path yml, final String text) throws Exception {
        final Path next = yml.resolveSibling("proxy_info.yml.tmp");
        Files.writeString(next, text, StandardCharsets.UTF_8);
        Files.move(next, yml, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
