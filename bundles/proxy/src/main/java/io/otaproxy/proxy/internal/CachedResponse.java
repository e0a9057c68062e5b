package io.otaproxy.proxy.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import io.otaproxy.api.cache.EntryMeta;
import io.otaproxy.proxy.internal.ByteRanges.Range;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a response from the cache: a complete entry or a fill in flight, whole or as ranges, or only its head, or
 * 304 when the client's validators match. Headers replayed are upstream's stored end-to-end headers (validators,
 * Cache-Control, Expires, its Date, ...), Content-Type and Content-Encoding, the OTA directives the entry is keyed
 * by (as the reference answers hits), the entry's Age, and this proxy's Via.
 */
final class CachedResponse {

    private static final Logger LOG = LoggerFactory.getLogger(CachedResponse.class);
    /**
     * A complete body up to this size is written on the request's thread: it fits Jetty's output buffer (32 KiB),
     * so the thread returns without waiting for the client to read it, however slow the client is.
     */
    private static final int SYNC_BYTES = 16 * 1024;

    private CachedResponse() {
    }

    /**
     * Sends the response. A body that is not small and complete is written asynchronously ({@link AsyncBody}): this
     * method then returns at once and the source is closed when the body ends; otherwise it is written here.
     * A failure of the source after the response has started aborts the client connection.
     *
     * @param source the body; closed when it has been written
     * @param budget the memory that asynchronous bodies may hold
     * @param via    this proxy's Via element
     * @return whether the body was handed to an asynchronous writer, which completes the request when done
     */
    static boolean send(final HttpServletRequest request, final HttpServletResponse response, final EntryMeta meta,
            final BodySource source, final boolean head, final BufferBudget budget, final String via)
            throws IOException {
        boolean handedOver = false;
        try {
            replay(response, meta, via);
            if (Conditionals.notModified(request, meta.headers())) {
                response.setStatus(304); // the client holds this response already
                return false;
            }
            final long length = meta.length();
            final ByteRanges.Result ranges = length >= 0
                    && Conditionals.rangeApplies(request, meta.headers())
                            ? ByteRanges.parse(request.getHeader("Range"), length) : ByteRanges.parse(null, 0);
            if (ranges.unsatisfiable()) {
                response.setStatus(416);
                response.setHeader("Content-Range", "bytes */" + length);
                response.setContentLength(0);
                return false;
            }
            response.setHeader("Accept-Ranges", "bytes");
            final String directives = OtaCacheControl.responseValue(meta.fileSha256(), meta.compressionAlg());
            if (directives != null) {
                response.setHeader(OtaCacheControl.HEADER.toLowerCase(java.util.Locale.ROOT), directives);
            }
            if (meta.contentEncoding() != null) {
                response.setHeader("Content-Encoding", meta.contentEncoding());
            }
            final List<Object> parts;
            if (ranges.whole()) {
                parts = whole(request, response, meta);
            } else if (ranges.ranges().size() == 1) {
                parts = oneRange(response, meta, ranges.ranges().get(0));
            } else {
                parts = multipart(response, meta, ranges.ranges());
            }
            if (head) {
                return false;
            }
            final List<Object> held = source.growing() && !ranges.whole() && meta.fileSha256() != null
                    ? holdLastByte(parts, length) : parts;
            if (!source.growing() && bytes(parts) <= SYNC_BYTES) {
                write(request, response, source, parts); // small and whole: no waiting, no hand-over
                return false;
            }
            AsyncBody.start(request, response, source, held, budget);
            handedOver = true;
            return true;
        } finally {
            if (!handedOver) {
                source.close();
            }
        }
    }

    /**
     * Upstream's stored headers (its Date in place of the server's own), the entry's age when its receipt is known
     * (RFC 9111 §5.1), and this proxy's Via after upstream's.
     */
    private static void replay(final HttpServletResponse response, final EntryMeta meta, final String via) {
        for (final java.util.Map.Entry<String, String> h : StoredHeaders.parse(meta.headers())) {
            if (h.getKey().equalsIgnoreCase("Date")) {
                response.setHeader("Date", h.getValue());
            } else {
                response.addHeader(h.getKey(), h.getValue());
            }
        }
        if (meta.receivedMillis() > 0) {
            response.setHeader("Age", Long.toString(Freshness.ageSeconds(meta, System.currentTimeMillis())));
        }
        response.addHeader(ViaHeader.NAME, via);
    }

    private static List<Object> whole(final HttpServletRequest request, final HttpServletResponse response,
            final EntryMeta meta) {
        response.setStatus(200);
        if (meta.contentType() != null) {
            response.setContentType(meta.contentType());
        }
        if (meta.length() >= 0) {
            response.setContentLengthLong(meta.length());
        } else if ("HTTP/1.1".equals(request.getProtocol())) {
            response.setHeader("Transfer-Encoding", "chunked"); // keep an abort visible, see Relay
        }
        if (meta.length() == 0) {
            // An empty body has no held-back last byte to wait on: ask for the end itself, so that a download in
            // flight is verified and committed before the client gets its empty 200
            return List.of(new AsyncBody.End(0));
        }
        return List.of(new AsyncBody.Span(0, meta.length() >= 0 ? meta.length() : Long.MAX_VALUE));
    }

    private static List<Object> oneRange(final HttpServletResponse response, final EntryMeta meta,
            final Range range) {
        response.setStatus(206);
        if (meta.contentType() != null) {
            response.setContentType(meta.contentType());
        }
        response.setHeader("Content-Range", "bytes " + range.first() + "-" + range.last() + "/" + meta.length());
        response.setContentLengthLong(range.length());
        return List.of(new AsyncBody.Span(range.first(), range.length()));
    }

    private static List<Object> multipart(final HttpServletResponse response, final EntryMeta meta,
            final List<Range> ranges) {
        final String boundary = "ota-proxy-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
        final String type = meta.contentType() == null ? "application/octet-stream" : meta.contentType();
        final List<Object> parts = new ArrayList<>();
        for (int i = 0; i < ranges.size(); i++) {
            final Range r = ranges.get(i);
            parts.add(((i == 0 ? "" : "\r\n") + "--" + boundary + "\r\nContent-Type: " + type
                    + "\r\nContent-Range: bytes " + r.first() + "-" + r.last() + "/" + meta.length() + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            parts.add(new AsyncBody.Span(r.first(), r.length()));
        }
        parts.add(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.ISO_8859_1));
        response.setStatus(206);
        response.setContentType("multipart/byteranges; boundary=" + boundary);
        response.setContentLengthLong(bytes(parts));
        return parts;
    }

    /**
     * Ranges of a download in flight under a content address: the last byte of the answer waits until the whole
     * download is verified against the client's sha256, as the last byte of a whole body does, so a range of a file
     * that turns out wrong never looks complete (the client connection is aborted instead). A range of a URL-keyed
     * download is upstream's bytes at those offsets whatever becomes of the rest, and is sent as they arrive.
     */
    private static List<Object> holdLastByte(final List<Object> parts, final long length) {
        int last = parts.size() - 1;
        while (last >= 0 && !(parts.get(last) instanceof AsyncBody.Span)) {
            last--;
        }
        if (last < 0) {
            return parts;
        }
        final AsyncBody.Span span = (AsyncBody.Span) parts.get(last);
        final List<Object> held = new ArrayList<>(parts.subList(0, last));
        held.add(new AsyncBody.Span(span.position(), span.count() - 1));
        held.add(new AsyncBody.End(length));
        held.add(new AsyncBody.Span(span.position() + span.count() - 1, 1));
        held.addAll(parts.subList(last + 1, parts.size()));
        return held;
    }

    /** The length of a body made of {@code parts}; MAX_VALUE when a span runs to an unknown end. */
    private static long bytes(final List<Object> parts) {
        long total = 0;
        for (final Object p : parts) {
            if (p instanceof byte[] literal) {
                total += literal.length;
            } else if (p instanceof AsyncBody.Span span) {
                if (span.count() == Long.MAX_VALUE) {
                    return Long.MAX_VALUE;
                }
                total += span.count();
            }
        }
        return total;
    }

    /** Writes a small body of a complete entry here, blocking: it fits the socket's buffers. */
    private static void write(final HttpServletRequest request, final HttpServletResponse response,
            final BodySource source, final List<Object> parts) throws IOException {
        final OutputStream out = response.getOutputStream();
        for (final Object p : parts) {
            if (p instanceof byte[] literal) {
                out.write(literal);
            } else if (p instanceof AsyncBody.Span span) {
                copy(request, response, out, source, span.position(), span.count());
            } // an End of a complete entry: nothing to wait for
        }
    }

    /**
     * Copies {@code count} bytes from {@code position}. A source failure aborts the client connection; a client
     * that goes away just ends the copy.
     */
    private static void copy(final HttpServletRequest request, final HttpServletResponse response,
            final OutputStream out, final BodySource source, final long position, final long count)
            throws IOException {
        final byte[] buffer = new byte[(int) Math.max(1, Math.min(SYNC_BYTES, count))];
        long done = 0;
        while (done < count) {
            final long at = position + done;
            final int length = (int) Math.min(buffer.length, count - done);
            final int n = read(request, response, done, () -> source.read(at, buffer, 0, length));
            if (n < 0) {
                // the store promised `count` bytes: never end a short body cleanly
                abortClient(request, new IOException("cached body ended after " + done + " of " + count));
                return;
            }
            try {
                out.write(buffer, 0, n);
            } catch (final IOException e) {
                throw new ClientGoneException(e);
            }
            done += n;
        }
    }

    /** One read of a body source. */
    @FunctionalInterface
    private interface SourceRead {
        int read() throws IOException, InterruptedException;
    }

    /**
     * One read of the source. A failure before the response started becomes a 502; after, it aborts the client
     * connection. Either way the copy ends with an exception.
     */
    private static int read(final HttpServletRequest request, final HttpServletResponse response, final long done,
            final SourceRead read) throws IOException {
        try {
            return read.read();
        } catch (final IOException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            final IOException failure = e instanceof IOException io ? io
                    : new InterruptedIOException("interrupted while waiting for the download");
            if (!response.isCommitted()) {
                // nothing has reached the client yet: a clear error beats a connection that just closes
                LOG.warn("{}: download failed before the response started: {}", request.getRequestURL(),
                        e.toString());
                response.reset();
                ProxyServlet.sendError(response, 502, "Download failed: " + ClientMessages.of(failure));
                throw new ClientAbortedException(failure);
            }
            LOG.warn("{}: cached body failed after {} bytes, aborting the client connection: {}",
                    request.getRequestURL(), done, e.toString());
            if (ClientConnectionAbort.abort(request, failure)) {
                throw new ClientAbortedException(failure);
            }
            throw failure;
        }
    }

    private static void abortClient(final HttpServletRequest request, final IOException failure)
            throws ClientAbortedException {
        ClientConnectionAbort.abort(request, failure);
        throw new ClientAbortedException(failure);
    }

    /** The client connection was aborted on purpose; nothing more is to be written. */
    static final class ClientAbortedException extends IOException {
        private static final long serialVersionUID = 1L;

        ClientAbortedException(final IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /** The client went away; nothing more can be written. */
    static final class ClientGoneException extends IOException {
        private static final long serialVersionUID = 1L;

        ClientGoneException(final IOException cause) {
            super(cause.getMessage(), cause);
        }
    }
}
