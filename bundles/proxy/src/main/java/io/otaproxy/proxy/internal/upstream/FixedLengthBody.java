package io.otaproxy.proxy.internal.upstream;

import java.io.IOException;

/** Body delimited by Content-Length: exactly that many bytes, and an early end of the connection is an error. */
final class FixedLengthBody extends BodyDecoder {

    private final HttpInput in;
    private final long length;
    private long remaining;

    FixedLengthBody(final HttpInput in, final long length) {
        this.in = in;
        this.length = length;
        this.remaining = length;
    }

    @Override
    int read(final byte[] b, final int off, final int len) throws IOException {
        if (remaining == 0) {
            return -1;
        }
        if (len == 0) {
            return 0;
        }
        final int n = in.read(b, off, (int) Math.min(len, remaining));
        if (n < 0) {
            throw new UpstreamTruncatedException(
                    "upstream closed the connection after " + (length - remaining) + " of " + length + " bytes");
        }
        remaining -= n;
        return n;
    }

    @Override
    int available() throws IOException {
        return (int) Math.min(remaining, in.available());
    }

    @Override
    boolean complete() {
        return remaining == 0;
    }
}
