package io.otaproxy.proxy.internal.upstream;

import java.io.IOException;

/** Base of the failures of an upstream exchange, one subclass per way the servlet answers them. */
public class UpstreamException extends IOException {

    private static final long serialVersionUID = 1L;

    public UpstreamException(final String message) {
        super(message);
    }

    public UpstreamException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
