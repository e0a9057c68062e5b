package io.otaproxy.proxy.internal.upstream;

/** Upstream did not connect, or sent no response headers, within the configured time; the proxy answers 504. */
public final class UpstreamTimeoutException extends UpstreamException {

    private static final long serialVersionUID = 1L;

    public UpstreamTimeoutException(final String message) {
        super(message);
    }

    public UpstreamTimeoutException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
