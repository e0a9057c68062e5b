package io.otaproxy.proxy.internal.upstream;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Buffered reader of one upstream connection: lines for the response head and chunk framing, and bulk reads
 * for bodies that bypass the buffer once it is empty, so GiB bodies are not copied twice.
 */
final class HttpInput {

    static final int BUFFER_SIZE = 64 * 1024;

    private final InputStream in;
    private final byte[] buffer = new byte[BUFFER_SIZE];
    private int pos;
    private int limit;

    HttpInput(final InputStream in) {
        this.in = in;
    }

    /** Next byte without consuming it, -1 at end of stream; blocks up to the socket timeout. */
    int peek() throws IOException {
        if (pos >= limit && fill() < 0) {
            return -1;
        }
        return buffer[pos] & 0xFF;
    }

    int read() throws IOException {
        if (pos >= limit && fill() < 0) {
            return -1;
        }
        return buffer[pos++] & 0xFF;
    }

    int read(final byte[] b, final int off, final int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (pos < limit) {
            final int n = Math.min(len, limit - pos);
            System.arraycopy(buffer, pos, b, off, n);
            pos += n;
            return n;
        }
        if (len >= buffer.length) {
            // large read with nothing buffered: straight from the socket into the caller's array
            final int n = in.read(b, off, len);
            UpstreamTraffic.received(n);
            return n;
        }
        if (fill() < 0) {
            return -1;
        }
        final int n = Math.min(len, limit - pos);
        System.arraycopy(buffer, pos, b, off, n);
        pos += n;
        return n;
    }

    /** Bytes readable without blocking: what is buffered plus what the socket already holds. */
    int available() throws IOException {
        final int buffered = limit - pos;
        final int more = in.available();
        return buffered > Integer.MAX_VALUE - more ? Integer.MAX_VALUE : buffered + more;
    }

    /** Bytes already in the buffer. */
    int buffered() {
        return limit - pos;
    }

    /**
     * Reads one line ending in LF (a CR before it is dropped), bytes taken as ISO-8859-1.
     *
     * @return the line, or null if the stream ended before its first byte
     * @throws EOFException                if the stream ends inside the line
     * @throws UpstreamProtocolException   if the line is longer than {@code maxLength} bytes
     */
    String readLine(final int maxLength) throws IOException {
        StringBuilder partial = null;
        while (true) {
            if (pos >= limit && fill() < 0) {
                if (partial == null) {
                    return null;
                }
                throw new EOFException("connection closed inside a line");
            }
            int end = pos;
            while (end < limit && buffer[end] != '\n') {
                end++;
            }
            final int have = (partial == null ? 0 : partial.length()) + (end - pos);
            if (have > maxLength + 1) {
                // +1 leaves room for the CR that is not part of the limit
                throw new UpstreamProtocolException("upstream sent a line longer than " + maxLength + " bytes");
            }
            if (end < limit) {
                final String line = latin1(partial, end);
                pos = end + 1;
                return stripCr(line, maxLength);
            }
            if (partial == null) {
                partial = new StringBuilder(Math.max(64, (end - pos) * 2));
            }
            appendLatin1(partial, pos, end);
            pos = end;
        }
    }

    private String latin1(final StringBuilder partial, final int end) {
        if (partial == null) {
            return new String(buffer, pos, end - pos, StandardCharsets.ISO_8859_1);
        }
        appendLatin1(partial, pos, end);
        return partial.toString();
    }

    private void appendLatin1(final StringBuilder b, final int from, final int to) {
        for (int i = from; i < to; i++) {
            b.append((char) (buffer[i] & 0xFF));
        }
    }

    private static String stripCr(final String line, final int maxLength) throws UpstreamProtocolException {
        final String s = !line.isEmpty() && line.charAt(line.length() - 1) == '\r' ? line.substring(0, line.length() - 1) : line;
        if (s.length() > maxLength) {
            throw new UpstreamProtocolException("upstream sent a line longer than " + maxLength + " bytes");
        }
        return s;
    }

    private int fill() throws IOException {
        pos = 0;
        limit = 0;
        final int n = in.read(buffer, 0, buffer.length);
        UpstreamTraffic.received(n);
        if (n > 0) {
            limit = n;
        }
        return n;
    }
}
