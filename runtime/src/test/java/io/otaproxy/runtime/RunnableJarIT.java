package io.otaproxy.runtime;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.otaproxy.testing.Behaviour;
import io.otaproxy.testing.RawHttpClient;
import io.otaproxy.testing.TestData;
import io.otaproxy.testing.TestOrigin;

import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** End-to-end: the packaged jar as a real process, driven over HTTP, stopped with SIGTERM. */
public class RunnableJarIT {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private TestOrigin origin;
    private ProxyProcess proxy;

    @Before
    public void startOrigin() throws IOException {
        origin = TestOrigin.start();
    }

    @After
    public void stop() throws InterruptedException {
        if (proxy != null) {
            proxy.close();
        }
        origin.close();
    }

    private void assertStopsCleanlyOnSigterm() throws InterruptedException {
        final int code = proxy.terminate();
        assertTrue("exit code " + code + " after SIGTERM; output: " + proxy.output(), code == 0 || code == 143);
        assertTrue("deactivation is logged: " + proxy.output(), proxy.logged("Deactivating proxy servlet"));
    }

    @Test
    public void servesWithFlagsAndStopsOnSigterm() throws Exception {
        final int port = ProxyProcess.freePort();
        final Path cache = tmp.newFolder("cache").toPath();
        proxy = ProxyProcess.start(tmp.getRoot().toPath(), List.of(), "--host", "127.0.0.1", "--port",
                Integer.toString(port), "--cache-dir", cache.toString());
        assertTrue(proxy.output().stream().anyMatch(l -> l.contains("listening on") && l.contains(":" + port)));
        final byte[] body = TestData.generate(2_000_000, 11);
        origin.put("/file", body);
        final RawHttpClient.Response r = RawHttpClient.get(port, origin.url("/file"));
        assertEquals(200, r.status);
        assertArrayEquals(body, r.body);
        assertEquals(400, RawHttpClient.exchange(port, "GET", "/", true).status);
        assertStopsCleanlyOnSigterm();
    }

    /**
     * The relay streams: with a 64 MiB heap the proxy cannot hold even a small part of a 2 GiB body, so a
     * buffering proxy would fail with OutOfMemoryError; the body must arrive whole and byte-exact.
     */
    @Test
    public void streamsTwoGibibytesWithASmallHeap() throws Exception {
        final int port = ProxyProcess.freePort();
        proxy = ProxyProcess.start(tmp.getRoot().toPath(), List.of("-Xmx64m"), "--host", "127.0.0.1", "--port",
                Integer.toString(port), "--cache-dir", tmp.newFolder("c2").toString(), "--disable-cache");
        final long size = 2L * 1024 * 1024 * 1024;
        origin.put("/rootfs.img", Behaviour.generated(size, 21));
        final RawHttpClient.Response r = RawHttpClient.exchange(port, "GET", origin.url("/rootfs.img"), false);
        assertEquals(200, r.status);
        assertTrue(r.complete);
        assertEquals(size, r.bodyLength);
        assertEquals(TestData.sha256(size, 21), r.sha256);
        assertTrue("the proxy survived: " + proxy.output(), proxy.isAlive());
        assertTrue(proxy.output().stream().noneMatch(l -> l.contains("OutOfMemoryError")));
        assertStopsCleanlyOnSigterm();
    }

    @Test
    public void aFlagOverridesTheConfigurationFile() throws Exception {
        final int filePort = ProxyProcess.freePort();
        final int flagPort = ProxyProcess.freePort();
        final Path yml = tmp.newFile("proxy_info.yml").toPath();
        Files.writeString(yml, "enable_local_ota_proxy: true\nlocal_ota_proxy_listen_addr: 127.0.0.1\n"
                + "local_ota_proxy_listen_port: " + filePort + "\ncache_dir: " + tmp.getRoot().toPath().resolve("c")
                + "\nunknown_key_from_a_newer_otaclient: 1\n");
        proxy = ProxyProcess.start(tmp.getRoot().toPath(), List.of(), "--config", yml.toString(), "--port",
                Integer.toString(flagPort));
        origin.put("/x", new byte[] {7});
        assertEquals(200, RawHttpClient.get(flagPort, origin.url("/x")).status);
        assertStopsCleanlyOnSigterm();
    }

    @Test
    public void runsWithNoFileAndNoFlagsOnTheEmbeddedDefaults() throws Exception {
        boolean free;
        try (ServerSocket probe = new ServerSocket(8082)) {
            free = true;
        } catch (final IOException e) {
            free = false;
        }
        assumeTrue("port 8082 is taken on this machine", free);
        final Path cwd = tmp.newFolder("cwd").toPath();
        proxy = ProxyProcess.start(cwd, List.of());
        assertTrue(proxy.output().stream().anyMatch(l -> l.contains("listening on") && l.contains(":8082")));
        origin.put("/default", new byte[] {1, 2, 3});
        assertEquals(200, RawHttpClient.get(8082, origin.url("/default")).status);
        assertTrue("cache directory ./ota-cache is created", Files.isDirectory(cwd.resolve("ota-cache")));
        assertStopsCleanlyOnSigterm();
    }
}
