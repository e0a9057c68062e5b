package io.otaproxy.proxy.internal;

import java.io.IOException;

/** Thrown out of the servlet when upstream fails mid-body, so that the container aborts the client connection. */
final class UpstreamAbortedException extends IOException {

    private static final long serialVersionUID = 1L;

    UpstreamAbortedException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
