package io.otaproxy.proxy.internal;

/** A request the proxy refuses before contacting anyone; the message is sent to the client as is. */
final class BadRequestException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int status;

    BadRequestException(final int status, final String message) {
        super(message, null, false, false);
        this.status = status;
    }

    int status() {
        return status;
    }
}
