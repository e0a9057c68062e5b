package io.otaproxy.proxy.internal.upstream;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.Test;

/**
 * Seeded random header values and targets: whatever is accepted encodes to exactly one request line, one Host line
 * and one line per header, so no input can smuggle a second header or a second request upstream.
 */
public class RequestHeadFuzzTest {

    private static final String[] PIECES = {"\r", "\n", "\r\n", "\r\n\r\n", "GET / HTTP/1.1", "Host: evil", ":",
        " ", "\t", "\u0000", "a", "b=c", ";", ",", "\u00ff", "\u0100", "\u2028", "%0d%0a", "/", "?", "é"};

    private static String random(final Random random) {
        final StringBuilder b = new StringBuilder();
        final int n = random.nextInt(6);
        for (int i = 0; i < n; i++) {
            b.append(random.nextInt(4) == 0 ? String.valueOf((char) random.nextInt(0x140))
                    : PIECES[random.nextInt(PIECES.length)]);
        }
        return b.toString();
    }

    @Test
    public void acceptedRequestsHaveExactlyTheirOwnLines() {
        final Random random = new Random(0x5eed_0004L);
        int accepted = 0;
        for (int i = 0; i < 20_000; i++) {
            final List<Map.Entry<String, String>> headers = new ArrayList<>();
            final int count = random.nextInt(4);
            for (int h = 0; h < count; h++) {
                headers.add(Map.entry(random.nextInt(5) == 0 ? random(random) : "X-H" + h, random(random)));
            }
            final String path = "/" + random(random);
            final UpstreamRequest request;
            try {
                request = new UpstreamRequest("GET", new UpstreamTarget("http", "origin.example", 80,
                        "origin.example", path), headers);
            } catch (final IllegalArgumentException e) {
                continue;
            }
            accepted++;
            for (final boolean viaProxy : new boolean[] {false, true}) {
                final String head = new String(RequestHead.encode(request, viaProxy), StandardCharsets.ISO_8859_1);
                assertTrue(head.endsWith("\r\n\r\n"));
                final String[] lines = head.substring(0, head.length() - 4).split("\r\n", -1);
                assertEquals("case " + i, 2 + count, lines.length);
                for (final String line : lines) {
                    assertEquals("case " + i + " bare CR or LF", -1, line.indexOf('\r') + line.indexOf('\n') + 1);
                }
                assertTrue(lines[0], lines[0].startsWith("GET ") && lines[0].endsWith(" HTTP/1.1"));
                assertEquals("Host: origin.example", lines[1]);
            }
        }
        System.out.println("upstream request heads: 20000 cases, " + accepted + " accepted and encoded");
        assertTrue("accepted " + accepted, accepted > 2_000);
    }
}
