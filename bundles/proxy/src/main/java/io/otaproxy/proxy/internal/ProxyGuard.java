package io.otaproxy.proxy.internal;

import java.net.InetAddress;

import io.otaproxy.proxy.internal.upstream.ConnectGuard;
import io.otaproxy.proxy.internal.upstream.UpstreamRefusedException;
import io.otaproxy.proxy.internal.upstream.UpstreamTarget;

/**
 * Keeps the proxy from being an open proxy or a loop: every upstream target, redirects included, must pass
 * {@code allowed_upstreams} (403 otherwise), and no request may be sent to the proxy's own listener (508).
 */
final class ProxyGuard implements ConnectGuard {

    static final int FORBIDDEN = 403;
    static final int LOOP_DETECTED = 508;

    private final AllowedUpstreams allowed;
    private final SelfAddress self;

    ProxyGuard(final AllowedUpstreams allowed, final SelfAddress self) {
        this.allowed = allowed;
        this.self = self;
    }

    AllowedUpstreams allowed() {
        return allowed;
    }

    /**
     * The refusal for a target as the client named it, or null when it may go on (it may still be refused once its
     * address is known).
     */
    UpstreamRefusedException refusal(final String host, final int port, final boolean viaUpperProxy) {
        final AllowedUpstreams.Decision decision = allowed.decide(host, port);
        if (decision == AllowedUpstreams.Decision.DENY
                || decision == AllowedUpstreams.Decision.BY_ADDRESS && viaUpperProxy) {
            // through an upper proxy the name is resolved there, so only name rules can allow it
            return new UpstreamRefusedException(FORBIDDEN, "Upstream " + host + ":" + port
                    + " is not allowed by this proxy (allowed_upstreams).");
        }
        return null;
    }

    @Override
    public void checkTarget(final UpstreamTarget target, final boolean viaUpperProxy)
            throws UpstreamRefusedException {
        final UpstreamRefusedException refused = refusal(target.host(), target.port(), viaUpperProxy);
        if (refused != null) {
            throw refused;
        }
        if (self.isSelf(target.host(), target.port())) {
            throw new UpstreamRefusedException(LOOP_DETECTED, "Loop detected: " + target.host() + ":"
                    + target.port() + " is this proxy.");
        }
    }

    @Override
    public void checkAddress(final String host, final InetAddress address, final int port)
            throws UpstreamRefusedException {
        if (self.isSelf(address, port)) {
            throw new UpstreamRefusedException(LOOP_DETECTED, "Loop detected: " + host + ":" + port
                    + " resolves to this proxy (" + address.getHostAddress() + ").");
        }
        if (allowed.decide(host, port) != AllowedUpstreams.Decision.ALLOW && !allowed.allowsAddress(address, port)) {
            throw new UpstreamRefusedException(FORBIDDEN, "Upstream " + host + ":" + port + " ("
                    + address.getHostAddress() + ") is not allowed by this proxy (allowed_upstreams).");
        }
    }
}
