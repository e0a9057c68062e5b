package io.otaproxy.proxy.internal.jetty;

import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * The error answers of the proxy's Jetty, with one status changed: Jetty's parser answers {@code 505} to an
 * HTTP-version it does not know, and that covers malformed ones ({@code HTTP/1.one}) and ones no HTTP specification
 * defines ({@code HTTP/9.9}) alike; both are a bad request line, {@code 400} (RFC 9112 §2.3, §3). A version Jetty
 * knows but does not serve ({@code HTTP/3.0} on this connection) keeps its {@code 505}. Everything else goes to the
 * error handler that was there before, unchanged.
 */
final class VersionErrors implements Request.Handler {

    /** The message of Jetty's parser for a version it does not know (HttpParser.checkVersion). */
    static final String UNKNOWN_VERSION = "Unknown Version";
    private static final String MESSAGE = "Malformed or unknown HTTP version";

    private final Request.Handler next;

    VersionErrors(final Request.Handler next) {
        this.next = next;
    }

    Request.Handler next() {
        return next;
    }

    @Override
    public boolean handle(final Request request, final Response response, final Callback callback) throws Exception {
        if (response.getStatus() == HttpStatus.HTTP_VERSION_NOT_SUPPORTED_505
                && UNKNOWN_VERSION.equals(request.getAttribute(ErrorHandler.ERROR_MESSAGE))) {
            response.setStatus(HttpStatus.BAD_REQUEST_400);
            // the parser's exception replaced: an error handler takes the status from it, which would be 505 again
            return next.handle(new ErrorHandler.ErrorRequest(request, HttpStatus.BAD_REQUEST_400, MESSAGE,
                    new IllegalArgumentException(MESSAGE)), response, callback);
        }
        return next.handle(request, response, callback);
    }

    @Override
    public InvocationType getInvocationType() {
        return next.getInvocationType();
    }
}
