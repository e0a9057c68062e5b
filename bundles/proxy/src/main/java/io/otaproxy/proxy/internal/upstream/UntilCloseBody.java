package io.otaproxy.proxy.internal.upstream;

import java.io.IOException;

/** Body with neither length nor chunking: it ends when upstream closes, so the connection cannot be reused. */
final class UntilCloseBody extends BodyDecoder {

    private final HttpInput in;
    private boolean ended;

    UntilCloseBody(final HttpInput in) {
        this.in = in;
    }

    @Override
    int read(final byte[] b, final int off, final int len) throws IOException {
        if (ended) {
            return -1;
        }
        final int n = in.read(b, off, len);
        if (n < 0) {
            ended = true;
        }
        return n;
    }

    @Override
    int available() throws IOException {
        return ended ? 0 : in.available();
    }

    @Override
    boolean complete() {
        return ended;
    }

    @Override
    boolean framingAllowsReuse() {
        return false;
    }
}
