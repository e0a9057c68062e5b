package io.otaproxy.proxy.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import io.otaproxy.api.cache.EntryMeta;
import io.otaproxy.proxy.internal.ByteRanges.Range;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a response from the cache: a complete entry or a fill in flight, whole or as ranges, or only its head.
 * Headers replayed are the stored Content-Type and Content-Encoding, and the OTA directives the entry is keyed
 * by, as the reference answers hits.
 */
final class CachedResponse {

    private static final Logger LOG = LoggerFactory.getLogger(CachedResponse.class);
    private static final int COPY_BUFFER = 64 * 1024;

    private CachedResponse() {
    }

    /**
     * Sends the response. A failure of the source after the response has started aborts the client connection.
     *
     * @param source the body; closed by this method
     */
    static void send(final HttpServletRequest request, final HttpServletResponse response, final EntryMeta meta,
            final BodySource source, final boolean head) throws IOException {
        try (source) {
            final long length = meta.length();
            final ByteRanges.Result ranges = length >= 0 ? ByteRanges.parse(rangeHeader(request), length)
                    : ByteRanges.parse(null, 0);
            if (ranges.unsatisfiable()) {
                response.setStatus(416);
                response.setHeader("Content-Range", "bytes */" + length);
                response.setContentLength(0);
                return;
            }
            response.setHeader("Accept-Ranges", "bytes");
            final String directives = OtaCacheControl.responseValue(meta.fileSha256(), meta.compressionAlg());
            if (directives != null) {
                response.setHeader(OtaCacheControl.HEADER.toLowerCase(java.util.Locale.ROOT), directives);
            }
            if (meta.contentEncoding() != null) {
                response.setHeader("Content-Encoding", meta.contentEncoding());
            }
            if (ranges.whole()) {
                sendWhole(request, response, meta, source, head);
            } else if (ranges.ranges().size() == 1) {
                sendOneRange(request, response, meta, source, ranges.ranges().get(0), head);
            } else {
                sendMultipart(request, response, meta, source, ranges.ranges(), head);
            }
        }
    }

    /** A Range header counts only if If-Range (which we cannot check without validators) is absent. */
    private static String rangeHeader(final HttpServletRequest request) {
        return request.getHeader("If-Range") == null ? request.getHeader("Range") : null;
    }

    private static void sendWhole(final HttpServletRequest request, final HttpServletResponse response,
            final EntryMeta meta, final BodySource source, final boolean head) throws IOException {
        response.setStatus(200);
        if (meta.contentType() != null) {
            response.setContentType(meta.contentType());
        }
        if (meta.length() >= 0) {
            response.setContentLengthLong(meta.length());
        } else if ("HTTP/1.1".equals(request.getProtocol())) {
            response.setHeader("Transfer-Encoding", "chunked"); // keep an abort visible, see Relay
        }
        if (!head) {
            copy(request, response, response.getOutputStream(), source, 0,
                    meta.length() >= 0 ? meta.length() : Long.MAX_VALUE);
        }
    }

    private static void sendOneRange(final HttpServletRequest request, final HttpServletResponse response,
            final EntryMeta meta, final BodySource source, final Range range, final boolean head) throws IOException {
        response.setStatus(206);
        if (meta.contentType() != null) {
            response.setContentType(meta.contentType());
        }
        response.setHeader("Content-Range", "bytes " + range.first() + "-" + range.last() + "/" + meta.length());
        response.setContentLengthLong(range.length());
        if (!head) {
            copy(request, response, response.getOutputStream(), source, range.first(), range.length());
        }
    }

    private static void sendMultipart(final HttpServletRequest request, final HttpServletResponse response,
            final EntryMeta meta, final BodySource source, final List<Range> ranges, final boolean head)
            throws IOException {
        final String boundary = "ota-proxy-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
        final String type = meta.contentType() == null ? "application/octet-stream" : meta.contentType();
        long total = 0;
        final byte[][] partHeads = new byte[ranges.size()][];
        for (int i = 0; i < ranges.size(); i++) {
            final Range r = ranges.get(i);
            partHeads[i] = ((i == 0 ? "" : "\r\n") + "--" + boundary + "\r\nContent-Type: " + type
                    + "\r\nContent-Range: bytes " + r.first() + "-" + r.last() + "/" + meta.length() + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1);
            total += partHeads[i].length + r.length();
        }
        final byte[] end = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.ISO_8859_1);
        total += end.length;
        response.setStatus(206);
        response.setContentType("multipart/byteranges; boundary=" + boundary);
        response.setContentLengthLong(total);
        if (head) {
            return;
        }
        final OutputStream out = response.getOutputStream();
        for (int i = 0; i < ranges.size(); i++) {
            out.write(partHeads[i]);
            copy(request, response, out, source, ranges.get(i).first(), ranges.get(i).length());
        }
        out.write(end);
    }

    /**
     * Copies {@code count} bytes from {@code position}; with an unknown length, to the end. A source failure aborts
     * the client connection; a client that goes away just ends the copy.
     */
    private static void copy(final HttpServletRequest request, final HttpServletResponse response,
            final OutputStream out, final BodySource source, final long position, final long count)
            throws IOException {
        // sized to the body: a 4 KiB hit should not allocate and zero a 64 KiB buffer
        final byte[] buffer = new byte[(int) Math.max(1, Math.min(COPY_BUFFER, count))];
        long done = 0;
        // an empty body has no last byte for the download to hold back until it is verified and stored: ask for
        // the end once, so the answer waits for that verdict and the client's leaving cannot abandon the download
        boolean awaitEnd = count == 0 && source.growing();
        while (done < count || awaitEnd) {
            awaitEnd = false;
            final int n;
            try {
                n = source.read(position + done, buffer, 0, (int) Math.max(1, Math.min(buffer.length, count - done)));
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
                    ProxyServlet.sendError(response, 502, "Download failed: " + failure.getMessage());
                    throw new ClientAbortedException(failure);
                }
                LOG.warn("{}: cached body failed after {} bytes, aborting the client connection: {}",
                        request.getRequestURL(), done, e.toString());
                if (ClientConnectionAbort.abort(request, failure)) {
                    throw new ClientAbortedException(failure);
                }
                throw failure;
            }
            if (n < 0) {
                if (count != Long.MAX_VALUE && done < count) {
                    // the store promised `count` bytes: never end a short body cleanly
                    final IOException failure = new IOException("cached body ended after " + done + " of " + count);
                    ClientConnectionAbort.abort(request, failure);
                    throw new ClientAbortedException(failure);
                }
                return;
            }
            try {
                out.write(buffer, 0, n);
                if (source.growing() && n < buffer.length) {
                    out.flush(); // caught up with the download: send what we have
                }
            } catch (final IOException e) {
                throw new ClientGoneException(e);
            }
            done += n;
        }
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
