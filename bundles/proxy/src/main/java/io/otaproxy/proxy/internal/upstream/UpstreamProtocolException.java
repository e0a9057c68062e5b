package io.otaproxy.proxy.internal.upstream;

/** Upstream sent something that is not a valid HTTP/1.1 response (or framing); the proxy answers 502. */
public final class UpstreamProtocolException extends UpstreamException {

    private static final long serialVersionUID = 1L;

    public UpstreamProtocolException(final String message) {
        super(message);
    }

    public UpstreamProtocolException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
