package io.otaproxy.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A deliberately simple HTTP/1.1 client on a raw socket for tests: it sends exactly the bytes it is given and
 * tells whether the response body ended the way its framing promised. Ordinary clients hide a truncated body;
 * this one reports it, which is what the proxy's abort behaviour is tested with.
 */
public final class RawHttpClient {

    private RawHttpClient() {
    }

    /** A parsed response. {@code complete} is false when the connection ended before the framing said it would. */
    public static final class Response {
        public final int status;
        public final List<Map.Entry<String, String>> headers;
        public final byte[] body;
        public final boolean complete;
        public final long bodyLength;
        public final String sha256;

        Response(final int status, final List<Map.Entry<String, String>> headers, final byte[] body,
                final long bodyLength, final String sha256, final boolean complete) {
            this.status = status;
            this.headers = headers;
            this.body = body;
            this.bodyLength = bodyLength;
            this.sha256 = sha256;
            this.complete = complete;
        }

        /** The first value of a header, case-insensitive, or null. */
        public String header(final String name) {
            for (final Map.Entry<String, String> h : headers) {
                if (h.getKey().equalsIgnoreCase(name)) {
                    return h.getValue();
                }
            }
            return null;
        }

        public String bodyText() {
            return body == null ? "" : new String(body, StandardCharsets.UTF_8);
        }
    }

    /** {@code GET <absoluteUrl>} through the proxy on 127.0.0.1:proxyPort, with the given extra header lines. */
    public static Response get(final int proxyPort, final String absoluteUrl, final String... headerLines)
            throws IOException {
        return exchange(proxyPort, "GET", absoluteUrl, true, headerLines);
    }

    /** Sends {@code METHOD target HTTP/1.1} with a Host derived from an absolute target (or localhost). */
    public static Response exchange(final int port, final String method, final String target, final boolean keepBody,
            final String... headerLines) throws IOException {
        final StringBuilder request = new StringBuilder();
        request.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
        request.append("Host: ").append(hostOf(target, port)).append("\r\n");
        for (final String line : headerLines) {
            request.append(line).append("\r\n");
        }
        request.append("Connection: close\r\n\r\n");
        return send(port, request.toString().getBytes(StandardCharsets.UTF_8), method.equals("HEAD"), keepBody);
    }

    private static String hostOf(final String target, final int port) {
        final int scheme = target.indexOf("://");
        if (scheme < 0) {
            return "127.0.0.1:" + port;
        }
        final int end = target.indexOf('/', scheme + 3);
        return end < 0 ? target.substring(scheme + 3) : target.substring(scheme + 3, end);
    }

    /** Sends raw request bytes and reads one response; the body is kept only when {@code keepBody}. */
    public static Response send(final int port, final byte[] request, final boolean head, final boolean keepBody)
            throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(60_000);
            final OutputStream out = socket.getOutputStream();
            out.write(request);
            out.flush();
            return read(socket.getInputStream(), head, keepBody);
        }
    }

    /**
     * Reads one response from a stream the caller opened (and may pace); {@code head} for a response to HEAD. An
     * end of the stream or a reset before the status line is an {@link EOFException}; after it, an incomplete body.
     */
    public static Response read(final InputStream in, final boolean head, final boolean keepBody) throws IOException {
        final String statusLine = line(in);
        if (statusLine == null) {
            throw new EOFException("connection closed before a status line");
        }
        final String[] parts = statusLine.split(" ", 3);
        final int status = Integer.parseInt(parts[1]);
        final List<Map.Entry<String, String>> headers = new ArrayList<>();
        String line;
        long length = -1;
        boolean chunked = false;
        while ((line = line(in)) != null && !line.isEmpty()) {
            final int colon = line.indexOf(':');
            final String name = line.substring(0, colon).trim();
            final String value = line.substring(colon + 1).trim();
            headers.add(Map.entry(name, value));
            final String lower = name.toLowerCase(Locale.ROOT);
            if (lower.equals("content-length")) {
                length = Long.parseLong(value);
            } else if (lower.equals("transfer-encoding") && value.toLowerCase(Locale.ROOT).contains("chunked")) {
                chunked = true;
            }
        }
        final Sink sink = new Sink(keepBody);
        boolean complete = true;
        if (head || status == 204 || status == 304 || status / 100 == 1) {
            return new Response(status, headers, sink.bytes(), 0, sink.sha256(), true);
        }
        if (chunked) {
            complete = readChunked(in, sink);
        } else if (length >= 0) {
            complete = copy(in, sink, length) == length;
        } else {
            copy(in, sink, Long.MAX_VALUE);
        }
        return new Response(status, headers, sink.bytes(), sink.count, sink.sha256(), complete);
    }

    private static boolean readChunked(final InputStream in, final Sink sink) throws IOException {
        while (true) {
            final String sizeLine = line(in);
            if (sizeLine == null) {
                return false;
            }
            final int semi = sizeLine.indexOf(';');
            final long size = Long.parseLong((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
            if (size == 0) {
                String trailer;
                do {
                    trailer = line(in);
                    if (trailer == null) {
                        return false;
                    }
                } while (!trailer.isEmpty());
                return true;
            }
            if (copy(in, sink, size) != size || line(in) == null) {
                return false;
            }
        }
    }

    private static long copy(final InputStream in, final Sink sink, final long max) throws IOException {
        final byte[] buffer = new byte[64 * 1024];
        long done = 0;
        while (done < max) {
            final int n;
            try {
                n = in.read(buffer, 0, (int) Math.min(buffer.length, max - done));
            } catch (final IOException e) {
                return done; // a reset is an incomplete body, not a test error
            }
            if (n < 0) {
                break;
            }
            sink.write(buffer, n);
            done += n;
        }
        return done;
    }

    private static String line(final InputStream in) throws IOException {
        final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int c;
        try {
            while ((c = in.read()) != -1) {
                if (c == '\n') {
                    final byte[] b = buf.toByteArray();
                    final int len = b.length > 0 && b[b.length - 1] == '\r' ? b.length - 1 : b.length;
                    return new String(b, 0, len, StandardCharsets.ISO_8859_1);
                }
                buf.write(c);
            }
        } catch (final IOException e) {
            return null;
        }
        return null;
    }

    /** Counts, hashes and optionally keeps the body, so multi-GiB bodies can be checked without keeping them. */
    private static final class Sink {
        private final ByteArrayOutputStream kept;
        private final MessageDigest digest;
        long count;

        Sink(final boolean keep) {
            kept = keep ? new ByteArrayOutputStream() : null;
            try {
                digest = MessageDigest.getInstance("SHA-256");
            } catch (final NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        void write(final byte[] b, final int n) {
            if (kept != null) {
                kept.write(b, 0, n);
            }
            digest.update(b, 0, n);
            count += n;
        }

        byte[] bytes() {
            return kept == null ? null : kept.toByteArray();
        }

        String sha256() {
            return HexFormat.of().formatHex(digest.digest());
        }
    }
}
