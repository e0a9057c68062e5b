package io.otaproxy.proxy.internal.upstream;

/** The proxy will not send this request upstream (not allowed, a loop, or no connection to spare): no retry. */
public final class UpstreamRefusedException extends UpstreamException {

    private static final long serialVersionUID = 1L;

    private final int status;

    public UpstreamRefusedException(final int status, final String message) {
        super(message);
        this.status = status;
    }

    /** The HTTP status to answer the client with. */
    public int status() {
        return status;
    }
}
