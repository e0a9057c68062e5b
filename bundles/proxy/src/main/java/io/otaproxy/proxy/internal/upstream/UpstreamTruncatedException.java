package io.otaproxy.proxy.internal.upstream;

/** Upstream ended the connection before the body was complete, so the bytes read so far must not be taken as the whole body. */
public final class UpstreamTruncatedException extends UpstreamException {

    private static final long serialVersionUID = 1L;

    public UpstreamTruncatedException(final String message) {
        super(message);
    }

    public UpstreamTruncatedException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
