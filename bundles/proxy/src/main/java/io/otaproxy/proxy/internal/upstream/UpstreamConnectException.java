package io.otaproxy.proxy.internal.upstream;

/** Upstream could not be reached: refused, unknown host, unreachable, or TLS handshake failed; the proxy answers 502. */
public final class UpstreamConnectException extends UpstreamException {

    private static final long serialVersionUID = 1L;

    public UpstreamConnectException(final String message) {
        super(message);
    }

    public UpstreamConnectException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
