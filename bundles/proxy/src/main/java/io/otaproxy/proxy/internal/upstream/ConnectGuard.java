package io.otaproxy.proxy.internal.upstream;

import java.net.InetAddress;

/**
 * Decides where the client may go, so that redirects and host names that resolve somewhere unexpected are held to
 * the same rules as the request the client sent. Implementations must be thread-safe and must not block.
 */
public interface ConnectGuard {

    /** Allows everything. */
    ConnectGuard NONE = new ConnectGuard() {
        @Override
        public void checkTarget(final UpstreamTarget target, final boolean viaUpperProxy) {
            // anything goes
        }

        @Override
        public void checkAddress(final String host, final InetAddress address, final int port) {
            // anything goes
        }
    };

    /**
     * Called for every request the client is about to send, the first one and each redirect, before a connection
     * is chosen.
     *
     * @param viaUpperProxy true when the request goes to an upper proxy, which resolves the host itself
     * @throws UpstreamRefusedException if the target is not allowed
     */
    void checkTarget(UpstreamTarget target, boolean viaUpperProxy) throws UpstreamRefusedException;

    /**
     * Called with the resolved address before a direct connection to an upstream server is opened (never for the
     * upper proxy).
     *
     * @throws UpstreamRefusedException if the address is not allowed
     */
    void checkAddress(String host, InetAddress address, int port) throws UpstreamRefusedException;
}
