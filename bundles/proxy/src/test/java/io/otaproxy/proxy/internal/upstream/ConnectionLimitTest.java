package io.otaproxy.proxy.internal.upstream;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;

import io.otaproxy.testing.TestData;
import io.otaproxy.testing.TestOrigin;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** The upstream connection budget and the guard, against real origins on 127.0.0.1. */
public class ConnectionLimitTest {

    private TestOrigin origin;
    private TestOrigin other;

    @Before
    public void setUp() {
        origin = TestOrigin.start();
        other = TestOrigin.start();
    }

    @After
    public void tearDown() {
        origin.close();
        other.close();
    }

    private static UpstreamRequest get(final TestOrigin o, final String path) {
        return new UpstreamRequest("GET", UpstreamTarget.parse(o.url(path)), List.of());
    }

    @Test
    public void beyondTheBudgetARequestWaitsThenIsRefusedWith503() throws IOException {
        origin.put("/a", TestData.generate(100, 1));
        try (UpstreamClient client = new UpstreamClient(UpstreamSettings.builder().maxConnections(1)
                .connectTimeoutMillis(300).readTimeoutMillis(2000).build())) {
            final UpstreamResponse open = client.send(get(origin, "/a")); // holds the only connection
            assertEquals(1, client.connectionsInUse());
            final long start = System.nanoTime();
            final UpstreamRefusedException e = assertThrows(UpstreamRefusedException.class,
                    () -> client.send(get(origin, "/a")));
            assertEquals(503, e.status());
            assertTrue("waited for the connect timeout", System.nanoTime() - start >= 250_000_000L);
            assertArrayEquals(TestData.generate(100, 1), open.body().readAllBytes());
            open.close(); // back to the pool: reused by the next request
            try (UpstreamResponse again = client.send(get(origin, "/a"))) {
                again.body().readAllBytes();
            }
            assertEquals(1, origin.connectionCount());
        }
    }

    @Test
    public void anIdleConnectionIsClosedToMakeRoomForAnotherRoute() throws IOException {
        origin.put("/a", TestData.generate(10, 1));
        other.put("/b", TestData.generate(10, 2));
        try (UpstreamClient client = new UpstreamClient(UpstreamSettings.builder().maxConnections(1)
                .connectTimeoutMillis(2000).readTimeoutMillis(2000).build())) {
            try (UpstreamResponse r = client.send(get(origin, "/a"))) {
                r.body().readAllBytes();
            }
            assertEquals(1, client.idleConnections());
            try (UpstreamResponse r = client.send(get(other, "/b"))) {
                assertArrayEquals(TestData.generate(10, 2), r.body().readAllBytes());
            }
            assertEquals(1, client.connectionsInUse());
        }
    }

    @Test
    public void failedConnectsGiveTheirShareBack() throws IOException {
        final int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        try (UpstreamClient client = new UpstreamClient(UpstreamSettings.builder().maxConnections(2)
                .connectTimeoutMillis(1000).readTimeoutMillis(1000).build())) {
            for (int i = 0; i < 5; i++) {
                assertThrows(UpstreamConnectException.class, () -> client.send(new UpstreamRequest("GET",
                        UpstreamTarget.parse("http://127.0.0.1:" + closedPort + "/x"))));
            }
            assertEquals(0, client.connectionsInUse());
        }
    }

    @Test
    public void theGuardSeesEveryRedirectHopAndResolvedAddress() throws IOException {
        origin.put("/start", io.otaproxy.testing.Behaviour.redirect(302, other.url("/elsewhere")));
        other.put("/elsewhere", TestData.generate(10, 3));
        final ConnectGuard onlyOrigin = new ConnectGuard() {
            @Override
            public void checkTarget(final UpstreamTarget target, final boolean viaUpperProxy)
                    throws UpstreamRefusedException {
                if (target.port() != origin.port()) {
                    throw new UpstreamRefusedException(403, "not " + target);
                }
            }

            @Override
            public void checkAddress(final String host, final InetAddress address, final int port)
                    throws UpstreamRefusedException {
                if (!address.isLoopbackAddress()) {
                    throw new UpstreamRefusedException(403, "not loopback: " + address);
                }
            }
        };
        try (UpstreamClient client = new UpstreamClient(UpstreamSettings.builder().guard(onlyOrigin)
                .connectTimeoutMillis(1000).readTimeoutMillis(1000).build())) {
            final UpstreamRefusedException e = assertThrows(UpstreamRefusedException.class,
                    () -> client.send(get(origin, "/start")));
            assertEquals(403, e.status());
            assertEquals("the redirect target was never contacted", 0, other.requests().size());
        }
    }
}
