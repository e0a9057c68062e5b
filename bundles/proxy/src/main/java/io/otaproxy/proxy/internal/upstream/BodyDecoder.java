package io.otaproxy.proxy.internal.upstream;

import java.io.IOException;

/** Removes the message framing of a response body (length, chunks, or connection close) while it is read. */
abstract class BodyDecoder {

    /** Like {@link java.io.InputStream#read(byte[], int, int)}: -1 once the whole body was read. */
    abstract int read(byte[] b, int off, int len) throws IOException;

    /** Bytes readable without blocking. */
    abstract int available() throws IOException;

    /** Whether the body, including its framing, was read to the end. */
    abstract boolean complete();

    /** Whether the connection can carry another exchange once the body is complete. */
    boolean framingAllowsReuse() {
        return true;
    }

    /** The body of HEAD, 1xx, 204 and 304 responses. */
    static BodyDecoder empty() {
        return new BodyDecoder() {
            @Override
            int read(final byte[] b, final int off, final int len) {
                return -1;
            }

            @Override
            int available() {
                return 0;
            }

            @Override
            boolean complete() {
                return true;
            }
        };
    }
}
