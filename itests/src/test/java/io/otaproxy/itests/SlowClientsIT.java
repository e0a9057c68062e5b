package io.otaproxy.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.otaproxy.testing.Behaviour;
import io.otaproxy.testing.RawHttpClient;
import io.otaproxy.testing.TestData;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * Clients that read slowly or not at all, as ECUs writing to slow flash do: they hold a socket and at most a
 * buffer each, never a thread, so they delay no one; past {@code max_concurrent_requests} a request is refused
 * with 429 at once.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class SlowClientsIT extends ProxyTestSupport {

    /** More than Jetty's default pool of 200 threads, and than the proxy's own pool. */
    private static final int STALLED = 260;
    private static final int LIMIT = 300;

    /** A request that hangs fails the test after this long; a served one takes milliseconds. */
    private static final long HANG_SECONDS = 20;

    @Override
    protected String extraYaml() {
        return "max_concurrent_requests: " + LIMIT + "\n";
    }

    @Test
    public void stalledReadersOfCachedFilesDelayNoOneAndTheLimitAnswers429() throws Exception {
        final byte[] small = TestData.generate(4096, 61);
        origin.put("/small.bin", small);
        origin.put("/big.bin", Behaviour.generated(16L << 20, 62));
        origin.put("/fill.bin", Behaviour.generated(8L << 20, 63).rateLimited(1 << 20));
        assertEquals(200, get("/small.bin").status);
        assertEquals(200, get("/big.bin").status);

        final List<Socket> stalled = new ArrayList<>();
        try {
            // most stall on a cached file, some on a download in flight that they stop reading, and some on a
            // response relayed without the cache (more of them than the web server's threads): each of these holds
            // an upstream connection and a transfer thread, paced by its client
            for (int i = 0; i < STALLED; i++) {
                if (i % 10 == 5) {
                    stalled.add(stall("/big.bin", "no_cache"));
                } else {
                    stalled.add(stall(i % 10 == 0 ? "/fill.bin" : "/big.bin"));
                }
            }
            awaitResponseHeads(stalled);

            final RawHttpClient.Response hit = withinDeadline("/small.bin");
            assertEquals(200, hit.status);
            assertArrayEquals(small, hit.body);
            origin.put("/fresh.bin", TestData.generate(10_000, 64));
            final RawHttpClient.Response miss = withinDeadline("/fresh.bin");
            assertEquals(200, miss.status);
            assertTrue(miss.complete);

            // up to the limit with more stalled clients: the next request is refused at once, not queued
            while (stalled.size() < LIMIT) {
                stalled.add(stall("/big.bin"));
            }
            awaitResponseHeads(stalled.subList(STALLED, stalled.size()));
            final RawHttpClient.Response refused = withinDeadline("/small.bin");
            assertEquals(429, refused.status);
            assertEquals("1", refused.header("Retry-After"));
        } finally {
            for (final Socket s : stalled) {
                s.close();
            }
        }
        // the stalled clients' requests end with their connections, and the limit frees up
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(HANG_SECONDS);
        RawHttpClient.Response after;
        do {
            after = withinDeadline("/small.bin");
        } while (after.status == 429 && System.nanoTime() < deadline);
        assertEquals(200, after.status);
    }

    private RawHttpClient.Response get(final String path) throws IOException {
        return RawHttpClient.get(proxyPort(), origin.url(path));
    }

    /** A GET that must be answered before {@link #HANG_SECONDS}; a hang fails the test. */
    private RawHttpClient.Response withinDeadline(final String path) throws Exception {
        final CompletableFuture<RawHttpClient.Response> answer = CompletableFuture.supplyAsync(() -> {
            try {
                return get(path);
            } catch (final IOException e) {
                throw new IllegalStateException(e);
            }
        });
        return answer.get(HANG_SECONDS, TimeUnit.SECONDS);
    }

    private Socket stall(final String path) throws IOException {
        return stall(path, null);
    }

    /** A client that sends its request and then reads nothing, with a small receive window. */
    private Socket stall(final String path, final String otaDirectives) throws IOException {
        final Socket socket = new Socket();
        socket.setReceiveBufferSize(4096);
        socket.connect(new InetSocketAddress("127.0.0.1", proxyPort()), 5_000);
        socket.getOutputStream().write(("GET " + origin.url(path) + " HTTP/1.1\r\nHost: 127.0.0.1:" + origin.port()
                + (otaDirectives == null ? "" : "\r\nOTA-File-Cache-Control: " + otaDirectives)
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        return socket;
    }

    /** Reads the first bytes of each stalled response, so every request is known to be in progress. */
    private static void awaitResponseHeads(final List<Socket> sockets) throws IOException {
        final byte[] first = new byte[12];
        for (final Socket s : sockets) {
            s.setSoTimeout((int) TimeUnit.SECONDS.toMillis(HANG_SECONDS));
            final InputStream in = s.getInputStream();
            int got = 0;
            while (got < first.length) {
                final int n = in.read(first, got, first.length - got);
                if (n < 0) {
                    throw new IOException("connection closed before the response");
                }
                got += n;
            }
            assertEquals("HTTP/1.1 200", new String(first, StandardCharsets.US_ASCII));
        }
    }
}
