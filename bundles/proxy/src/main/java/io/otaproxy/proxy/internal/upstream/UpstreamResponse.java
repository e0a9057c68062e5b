package io.otaproxy.proxy.internal.upstream;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;

/**
 * An upstream response whose head has been read and whose body streams from the connection. Closing it after
 * the body was read to the end hands the connection back to the pool; anything else closes the connection.
 */
public final class UpstreamResponse implements Closeable {

    private static final int MAX_CONTENT_LENGTH_DIGITS = 18;

    private final UpstreamTarget target;
    private final int status;
    private final String reason;
    private final UpstreamHeaders headers;
    private final long contentLength;
    private final boolean chunked;
    private final boolean keepAlive;
    private final BodyDecoder decoder;
    private final UpstreamConnection connection;
    private final ConnectionPool pool;
    private final Body body = new Body();
    private volatile boolean failed;
    private volatile boolean closed;

    private UpstreamResponse(final UpstreamTarget target, final ResponseHead head, final long contentLength,
            final boolean chunked, final BodyDecoder decoder, final UpstreamConnection connection,
            final ConnectionPool pool) {
        this.target = target;
        this.status = head.status;
        this.reason = head.reason;
        this.headers = head.headers;
        this.keepAlive = head.keepAlive();
        this.contentLength = contentLength;
        this.chunked = chunked;
        this.decoder = decoder;
        this.connection = connection;
        this.pool = pool;
    }

    /** Picks the body framing per RFC 9112 section 6.3 and wraps the connection. */
    static UpstreamResponse create(final UpstreamTarget target, final boolean headRequest, final ResponseHead head,
            final UpstreamConnection connection, final ConnectionPool pool) throws UpstreamProtocolException {
        final boolean hasTransferEncoding = head.headers.contains("Transfer-Encoding");
        final boolean chunked = "chunked".equals(head.headers.lastToken("Transfer-Encoding"));
        // with Transfer-Encoding present, Content-Length is ignored (and must not be trusted)
        final long length = hasTransferEncoding ? -1 : parseContentLength(head.headers);
        final boolean noBody = headRequest || head.status < 200 || head.status == 204 || head.status == 304;
        final BodyDecoder decoder;
        if (noBody || length == 0) {
            decoder = BodyDecoder.empty();
        } else if (hasTransferEncoding) {
            // a final coding other than chunked leaves only the connection close to delimit the body
            decoder = chunked ? new ChunkedBody(connection.input()) : new UntilCloseBody(connection.input());
        } else if (length > 0) {
            decoder = new FixedLengthBody(connection.input(), length);
        } else {
            decoder = new UntilCloseBody(connection.input());
        }
        return new UpstreamResponse(target, head, length, chunked, decoder, connection, pool);
    }

    private static long parseContentLength(final UpstreamHeaders headers) throws UpstreamProtocolException {
        long length = -1;
        for (final String value : headers.values("Content-Length")) {
            // repeated or comma-listed values are tolerated only if they all agree
            for (final String part : value.split(",", -1)) {
                final String digits = part.strip();
                if (digits.isEmpty() || digits.length() > MAX_CONTENT_LENGTH_DIGITS
                        || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    throw new UpstreamProtocolException("invalid upstream Content-Length: " + UpstreamTarget.printable(value));
                }
                final long parsed = Long.parseLong(digits);
                if (length >= 0 && parsed != length) {
                    throw new UpstreamProtocolException("conflicting upstream Content-Length values: " + headers.values("Content-Length"));
                }
                length = parsed;
            }
        }
        return length;
    }

    /** The target that produced this response: the request's, or the last redirect's. */
    public UpstreamTarget target() {
        return target;
    }

    public int status() {
        return status;
    }

    /** Reason phrase as sent, possibly empty. */
    public String reason() {
        return reason;
    }

    public UpstreamHeaders headers() {
        return headers;
    }

    /**
     * The declared Content-Length (for HEAD and 304 the size the body would have), or -1 if there is none or
     * the body is chunked or otherwise transfer-coded.
     */
    public long contentLength() {
        return contentLength;
    }

    /** Whether the response declared Transfer-Encoding: chunked (the body stream is already de-chunked). */
    public boolean chunked() {
        return chunked;
    }

    /**
     * The body without framing. Reads throw {@link UpstreamTruncatedException} if upstream ends the body early,
     * {@link java.net.SocketTimeoutException} after the read timeout of silence, and
     * {@link UpstreamProtocolException} on broken chunk framing. Closing the stream closes the response.
     */
    public InputStream body() {
        return body;
    }

    /** Pools the connection if the body was read to the end and upstream keeps it alive; else closes it. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (!failed && decoder.complete() && keepAlive && decoder.framingAllowsReuse()) {
            pool.release(connection);
        } else {
            connection.close();
        }
    }

    /** Closes the connection whatever state the body is in; unblocks a read in another thread. */
    public void abort() {
        synchronized (this) {
            closed = true;
        }
        connection.close();
    }

    /** Reads off up to {@code maxBytes} of an unwanted body (a redirect's) so the connection can be reused. */
    void discard(final int maxBytes) {
        final byte[] buffer = new byte[8 * 1024];
        long total = 0;
        try {
            int n;
            while (total <= maxBytes && (n = body.read(buffer, 0, buffer.length)) >= 0) {
                total += n;
            }
        } catch (final IOException e) {
            failed = true;
        }
        close();
    }

    @Override
    public String toString() {
        return status + " " + reason + " from " + target;
    }

    /** The caller's view of the body; every failure marks the connection as unusable. */
    private final class Body extends InputStream {

        @Override
        public int read() throws IOException {
            final byte[] one = new byte[1];
            final int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(final byte[] b, final int off, final int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (closed) {
                throw new IOException("upstream response already closed");
            }
            try {
                return decoder.read(b, off, len);
            } catch (final IOException | RuntimeException e) {
                failed = true;
                throw e;
            }
        }

        @Override
        public int available() {
            if (closed || failed) {
                return 0;
            }
            try {
                return decoder.available();
            } catch (final IOException e) {
                return 0;
            }
        }

        @Override
        public long transferTo(final OutputStream out) throws IOException {
            // the default uses 8 KiB; bodies here can be GiB
            final byte[] buffer = new byte[HttpInput.BUFFER_SIZE];
            long total = 0;
            int n;
            while ((n = read(buffer, 0, buffer.length)) >= 0) {
                out.write(buffer, 0, n);
                total += n;
            }
            return total;
        }

        @Override
        public void close() {
            UpstreamResponse.this.close();
        }
    }
}
