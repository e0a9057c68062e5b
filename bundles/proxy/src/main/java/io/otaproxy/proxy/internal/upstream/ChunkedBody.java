package io.otaproxy.proxy.internal.upstream;

import java.io.EOFException;
import java.io.IOException;

/**
 * Body with Transfer-Encoding: chunked, decoded on the fly; trailer fields are read and dropped. A body that
 * ends without the last (zero) chunk is truncated, a malformed size line is a protocol error.
 */
final class ChunkedBody extends BodyDecoder {

    private static final int MAX_SIZE_LINE = 16 * 1024;
    private static final int MAX_HEX_DIGITS = 15;

    private final HttpInput in;
    private long chunkRemaining;
    private boolean inChunks;
    private boolean done;
    private long received;

    ChunkedBody(final HttpInput in) {
        this.in = in;
    }

    @Override
    int read(final byte[] b, final int off, final int len) throws IOException {
        if (done) {
            return -1;
        }
        if (len == 0) {
            return 0;
        }
        if (chunkRemaining == 0 && !nextChunk()) {
            return -1;
        }
        final int n = in.read(b, off, (int) Math.min(len, chunkRemaining));
        if (n < 0) {
            throw truncated();
        }
        chunkRemaining -= n;
        received += n;
        return n;
    }

    @Override
    int available() throws IOException {
        return chunkRemaining == 0 ? 0 : (int) Math.min(chunkRemaining, in.available());
    }

    @Override
    boolean complete() {
        return done;
    }

    /** Moves to the next chunk; false after the last chunk and the trailers. */
    private boolean nextChunk() throws IOException {
        if (inChunks && !line().isEmpty()) {
            throw new UpstreamProtocolException("upstream chunk data not followed by CRLF");
        }
        inChunks = true;
        final long size = parseSize(line());
        if (size > 0) {
            chunkRemaining = size;
            return true;
        }
        long trailerBytes = 0;
        String trailer;
        while (!(trailer = line()).isEmpty()) {
            trailerBytes += trailer.length() + 2;
            if (trailerBytes > ResponseHead.MAX_HEAD_BYTES) {
                throw new UpstreamProtocolException("upstream chunked trailers exceed " + ResponseHead.MAX_HEAD_BYTES + " bytes");
            }
        }
        done = true;
        return false;
    }

    private String line() throws IOException {
        final String line;
        try {
            line = in.readLine(MAX_SIZE_LINE);
        } catch (final EOFException e) {
            throw truncated();
        }
        if (line == null) {
            throw truncated();
        }
        return line;
    }

    private static long parseSize(final String line) throws UpstreamProtocolException {
        final int semicolon = line.indexOf(';');
        // chunk extensions are allowed and ignored; whitespace before them is tolerated
        final String hex = (semicolon >= 0 ? line.substring(0, semicolon) : line).strip();
        if (hex.isEmpty() || hex.length() > MAX_HEX_DIGITS) {
            throw badSize(line);
        }
        long size = 0;
        for (int i = 0; i < hex.length(); i++) {
            final int digit = Character.digit(hex.charAt(i), 16);
            if (digit < 0 || hex.charAt(i) > 'f') {
                throw badSize(line);
            }
            size = size * 16 + digit;
        }
        return size;
    }

    private static UpstreamProtocolException badSize(final String line) {
        return new UpstreamProtocolException("malformed upstream chunk size line: "
                + UpstreamTarget.printable(line.length() > 40 ? line.substring(0, 40) + "..." : line));
    }

    private UpstreamTruncatedException truncated() {
        return new UpstreamTruncatedException("upstream closed the connection after " + received
                + " bytes of a chunked body, before its last chunk");
    }
}
