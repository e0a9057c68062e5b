package io.otaproxy.cache.internal;

import java.io.IOException;
import java.io.InputStream;

import io.otaproxy.api.cache.EntryMeta;
import io.otaproxy.api.cache.Fill;

/**
 * What the proxy does with a fill it leads, for the store's tests: begins it on the calling thread, then pushes an
 * upstream body into it on a thread of its own, in chunks, until the body ends, fails or the store takes no more.
 */
final class Pump {

    static final int CHUNK = 16 * 1024;

    private Pump() {
    }

    static Thread begin(final Fill fill, final EntryMeta meta, final InputStream body, final Runnable onAbort) {
        return begin(fill, meta, body, onAbort, CHUNK);
    }

    static Thread begin(final Fill fill, final EntryMeta meta, final InputStream body, final Runnable onAbort,
            final int chunk) {
        final Fill.Writer writer = fill.begin(meta, onAbort);
        final Thread t = new Thread(() -> push(writer, body, chunk), "test-upstream-" + fill.key().substring(0, 8));
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void push(final Fill.Writer writer, final InputStream body, final int chunk) {
        final byte[] buffer = new byte[chunk];
        try (body) {
            while (true) {
                final int n;
                try {
                    n = body.read(buffer);
                } catch (final IOException e) {
                    writer.fail(e);
                    return;
                }
                if (n < 0) {
                    break;
                }
                if (!writer.append(buffer, 0, n)) {
                    return;
                }
            }
        } catch (final IOException e) {
            // closing a test body: nothing to do
        }
        writer.complete();
    }
}
