package io.otaproxy.proxy.internal.upstream;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Serialises the request line and header block, adding nothing but Host. */
final class RequestHead {

    private RequestHead() {
    }

    /**
     * {@code METHOD raw HTTP/1.1} for a direct connection, {@code METHOD scheme://authority raw HTTP/1.1} for an
     * upper proxy. The raw path goes out as UTF-8 (so escapes and ASCII stay byte-identical), header values as
     * ISO-8859-1; the request's constructor already refused anything that could break the framing.
     */
    static byte[] encode(final UpstreamRequest request, final boolean viaProxy) {
        final UpstreamTarget target = request.target();
        final ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        latin1(out, request.method());
        out.write(' ');
        if (viaProxy) {
            latin1(out, target.scheme());
            latin1(out, "://");
            latin1(out, target.authority());
        }
        out.writeBytes(target.rawPathAndQuery().getBytes(StandardCharsets.UTF_8));
        latin1(out, " HTTP/1.1\r\nHost: ");
        latin1(out, target.authority());
        latin1(out, "\r\n");
        for (final Map.Entry<String, String> h : request.headers()) {
            latin1(out, h.getKey());
            latin1(out, ": ");
            latin1(out, h.getValue());
            latin1(out, "\r\n");
        }
        latin1(out, "\r\n");
        return out.toByteArray();
    }

    private static void latin1(final ByteArrayOutputStream out, final String s) {
        out.writeBytes(s.getBytes(StandardCharsets.ISO_8859_1));
    }
}
