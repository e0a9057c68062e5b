package io.otaproxy.runtime;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.otaproxy.testing.Behaviour;
import io.otaproxy.testing.RawHttpClient;
import io.otaproxy.testing.TestData;
import io.otaproxy.testing.TestOrigin;

import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A hundred downloads in flight when the disk crosses its hard limit, their clients paused: each download stops
 * writing to disk and hands the rest of its body to its client through memory. With the launcher's heap of 128 MiB
 * and each download allowed a window of 4 MiB, they could ask for 400 MiB; one bound shared by all keeps them in
 * it, and upstream is read no faster than the clients take the bytes. The process must live, and every client
 * must get its whole, exact file.
 */
public class PausedDownloadsE2EIT {

    private static final int DOWNLOADS = 100;
    private static final long SIZE = 6L << 20;
    /** Per connection, so that every download is still running when the limit is crossed. */
    private static final long ORIGIN_RATE = 1L << 20;

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private TestOrigin origin;
    private ProxyProcess proxy;
    private final ExecutorService clients = Executors.newFixedThreadPool(DOWNLOADS);

    @Before
    public void startOrigin() throws IOException {
        origin = TestOrigin.start();
    }

    @After
    public void stop() throws InterruptedException {
        clients.shutdownNow();
        if (proxy != null) {
            proxy.close();
        }
        origin.close();
    }

    private static String yaml(final int port, final Path cache, final int hardLimit) {
        return "enable_local_ota_proxy: true\nlocal_ota_proxy_listen_addr: 127.0.0.1\nlocal_ota_proxy_listen_port: "
                + port + "\ncache_dir: " + cache + "\ndisk_poll_interval_s: 0.2\ndisk_use_limit_soft_p: "
                + hardLimit + "\ndisk_use_limit_hard_p: " + hardLimit + "\n";
    }

    @Test
    public void aHundredPausedDownloadsCrossingTheHardLimitAllEndWholeInTheLaunchersHeap() throws Exception {
        final int port = ProxyProcess.freePort();
        final Path cache = tmp.newFolder("cache").toPath();
        final Path yml = tmp.getRoot().toPath().resolve("proxy_info.yml");
        Files.writeString(yml, yaml(port, cache, 99));
        proxy = ProxyProcess.start(tmp.getRoot().toPath(),
                List.of("-Xmx128m", "-XX:+UseSerialGC", "-XX:MaxDirectMemorySize=64m", "-XX:+ExitOnOutOfMemoryError"),
                "--config", yml.toString());
        for (int i = 0; i < DOWNLOADS; i++) {
            origin.put("/part-" + i + ".img", Behaviour.generated(SIZE, 300 + i).rateLimited(ORIGIN_RATE));
        }

        final CountDownLatch started = new CountDownLatch(DOWNLOADS);
        final CountDownLatch resume = new CountDownLatch(1);
        final List<Future<String>> results = new ArrayList<>();
        for (int i = 0; i < DOWNLOADS; i++) {
            final String url = origin.url("/part-" + i + ".img");
            results.add(clients.submit(() -> pausedDownload(port, url, started, resume)));
        }
        assertTrue("every client got the start of its body", started.await(60, TimeUnit.SECONDS));
        // the downloads are on their way and their clients read nothing: now the disk is "full"
        Files.writeString(yml, yaml(port, cache, 1));
        assertTrue("the limit was taken: " + proxy.output(),
                awaitLogged("stops writing to disk", 20_000));
        Thread.sleep(3_000); // the downloads fill what memory they may while nobody reads
        resume.countDown();

        for (int i = 0; i < DOWNLOADS; i++) {
            assertEquals("download " + i, TestData.sha256(SIZE, 300 + i), results.get(i).get(180, TimeUnit.SECONDS));
        }
        assertTrue("the proxy lives: " + proxy.output(), proxy.isAlive());
        assertTrue(proxy.output().stream().noneMatch(l -> l.contains("OutOfMemoryError")));
        assertEquals("and still serves", 200, RawHttpClient.get(port, origin.url("/part-0.img")).status);
    }

    private boolean awaitLogged(final String fragment, final long millis) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!proxy.logged(fragment)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    /**
     * Sends a GET through the proxy, reads the head and the first bytes of the body, waits for {@code resume}
     * reading nothing (with a small receive window, so the proxy cannot push much into the socket), then reads the
     * rest. Returns the sha256 of the body, which must be exactly as long as announced.
     */
    private static String pausedDownload(final int port, final String url, final CountDownLatch started,
            final CountDownLatch resume) throws Exception {
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(16 * 1024);
            socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            socket.setSoTimeout(120_000);
            socket.getOutputStream().write(("GET " + url + " HTTP/1.1\r\nHost: " + url.split("/")[2]
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            final InputStream in = socket.getInputStream();
            final String head = readHead(in);
            assertTrue(head, head.startsWith("HTTP/1.1 200"));
            final long length = contentLength(head);
            assertEquals(SIZE, length);
            final MessageDigest sha = MessageDigest.getInstance("SHA-256");
            final byte[] buffer = new byte[64 * 1024];
            long got = 0;
            boolean paused = false;
            while (got < length) {
                final int n = in.read(buffer, 0, (int) Math.min(buffer.length, length - got));
                if (n < 0) {
                    throw new IOException("body ended after " + got + " of " + length + " bytes");
                }
                sha.update(buffer, 0, n);
                got += n;
                if (!paused) {
                    paused = true;
                    started.countDown();
                    resume.await();
                }
            }
            return HexFormat.of().formatHex(sha.digest());
        }
    }

    private static String readHead(final InputStream in) throws IOException {
        final ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            final int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed in the head: " + head);
            }
            head.write(b);
            matched = b == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : b == '\r' ? 1 : 0;
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    private static long contentLength(final String head) {
        for (final String line : head.split("\r\n")) {
            final int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("Content-Length")) {
                return Long.parseLong(line.substring(colon + 1).trim());
            }
        }
        return -1;
    }
}
