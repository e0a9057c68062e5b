package io.otaproxy.proxy.internal.upstream;

import java.util.concurrent.atomic.LongAdder;

/**
 * Bytes received from upstream connections by this bundle, counted where they leave the socket, so relayed and
 * cached downloads count alike. Process-wide by design: upstream clients come and go with configuration changes.
 */
public final class UpstreamTraffic {

    private static final LongAdder RECEIVED = new LongAdder();

    private UpstreamTraffic() {
    }

    static void received(final int bytes) {
        if (bytes > 0) {
            RECEIVED.add(bytes);
        }
    }

    public static long bytesReceived() {
        return RECEIVED.sum();
    }
}
