package io.otaproxy.proxy.internal.upstream;

import static org.junit.Assert.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameters;

import io.otaproxy.testing.Behaviour;
import io.otaproxy.testing.RecordedRequest;
import io.otaproxy.testing.TestOrigin;

/** The request-target must reach upstream byte for byte as the ECU sent it, directly and through a proxy. */
@RunWith(Parameterized.class)
public class RequestTargetBytesTest {

    private static TestOrigin origin;
    private static UpstreamClient client;
    private static UpstreamClient proxiedClient;

    @Parameters(name = "{0}")
    public static Collection<Object[]> targets() {
        return Arrays.asList(new Object[][] {
            {"/a%20b"}, {"/file%23hash/x"}, {"/a+b&c=d"}, {"/[x]@y!z;w"}, {"/%E3%83%95%E3%82%A1"}, {"/\u00e9"},
            {"/p?q=1&r=%2F"}, {"//double//slash"}, {"/a%2Fb"}, {"/%7e/~/%7E"}, {"/x/../y/./z"}, {"/q?"},
            {"/\u30d5\u30a1\u30a4\u30eb?n=\u00fc"}, {"/emoji/\ud83d\ude00"}, {"/%"}, {"/a'b(c)*$,"},
        });
    }

    private final String target;

    public RequestTargetBytesTest(final String target) {
        this.target = target;
    }

    @BeforeClass
    public static void startOrigin() {
        origin = TestOrigin.start();
        client = new UpstreamClient(UpstreamSettings.builder().readTimeoutMillis(5000).build());
        proxiedClient = new UpstreamClient(UpstreamSettings.builder().readTimeoutMillis(5000)
                .upperProxy("http://127.0.0.1:" + origin.port()).build());
    }

    @AfterClass
    public static void stopOrigin() {
        client.close();
        proxiedClient.close();
        origin.close();
    }

    /** What the origin records for the target: its UTF-8 bytes, one char per byte. */
    private String wire(final String s) {
        return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    @Test
    public void directRequestLineCarriesTargetUnchanged() throws IOException {
        origin.put(wire(target), Behaviour.ok("found"));
        final UpstreamTarget t = new UpstreamTarget("http", "127.0.0.1", origin.port(), origin.authority(), target);
        try (UpstreamResponse r = client.send(new UpstreamRequest("GET", t, List.of()))) {
            final RecordedRequest received = origin.lastRequest();
            assertEquals(wire(target), received.target());
            // the route matched only if the bytes were exact
            assertEquals(200, r.status());
            assertEquals("found", new String(r.body().readAllBytes(), StandardCharsets.US_ASCII));
        }
    }

    @Test
    public void absoluteFormToUpperProxyCarriesTargetUnchanged() throws IOException {
        final UpstreamTarget t = UpstreamTarget.of("http", "ota.example:8080", target);
        try (UpstreamResponse r = proxiedClient.send(new UpstreamRequest("GET", t, List.of()))) {
            final RecordedRequest received = origin.lastRequest();
            assertEquals(wire("http://ota.example:8080" + target), received.target());
            assertEquals("ota.example:8080", received.header("Host"));
            r.abort();
        }
    }
}
