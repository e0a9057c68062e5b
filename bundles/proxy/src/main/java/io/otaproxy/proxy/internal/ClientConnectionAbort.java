package io.otaproxy.proxy.internal;

import jakarta.servlet.http.HttpServletRequest;

import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Aborts a client connection whose response has started, so that a client never takes a short body for a whole
 * one. The servlet API has no way to say so: an exception out of the servlet is caught by the HTTP whiteboard,
 * and the container then ends a chunked body cleanly. Jetty's own channel can abort; where Jetty is not the
 * container, the exception is left to the container.
 */
final class ClientConnectionAbort {

    private static final Logger LOG = LoggerFactory.getLogger(ClientConnectionAbort.class);
    private static final boolean JETTY = jettyPresent();

    private ClientConnectionAbort() {
    }

    /** @return true if the connection was aborted; false if the caller must fail the response another way */
    static boolean abort(final HttpServletRequest request, final Throwable cause) {
        if (!JETTY) {
            return false;
        }
        try {
            final ServletContextRequest jettyRequest = ServletContextRequest.getServletContextRequest(request);
            if (jettyRequest == null) {
                return false;
            }
            // failing the channel alone still lets the container end a chunked body when the servlet returns;
            // closing the connection's end point makes sure no terminating chunk is ever written
            jettyRequest.getServletChannel().abort(cause);
            jettyRequest.getConnectionMetaData().getConnection().getEndPoint().close(cause);
            return true;
        } catch (final RuntimeException | LinkageError e) {
            LOG.debug("Cannot abort the client connection through Jetty: {}", e.toString());
            return false;
        }
    }

    private static boolean jettyPresent() {
        try {
            Class.forName("org.eclipse.jetty.ee10.servlet.ServletContextRequest", false,
                    ClientConnectionAbort.class.getClassLoader());
            return true;
        } catch (final ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
