package io.otaproxy.standby.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers on the proxy's listener while the proxy servlet is away: during an update or restart of the proxy bundle,
 * or a configuration it refuses to start with. It takes the same pattern on the same HTTP instance at the lowest
 * ranking, so the HTTP whiteboard shadows it whenever the proxy servlet is registered and dispatches to it in the
 * gap. Without it the gap is answered {@code 404}, which an OTA client takes as "this file does not exist"; a
 * {@code 503} with {@code Retry-After} says "ask again in a moment", which is the truth.
 *
 * <p>{@link StandbyActivator} registers it, without Declarative Services, so that it stays while SCR itself is
 * updated. Its answer depends on no setting.
 */
public final class StandbyServlet extends HttpServlet {

    /** Seconds an ECU is asked to wait before it asks again. */
    static final String RETRY_AFTER_SECONDS = "1";

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(StandbyServlet.class);
    private static final byte[] BODY = ("ota-proxy is not serving at this moment (its proxy service is being started,"
            + " updated or reconfigured); try again shortly.\n").getBytes(StandardCharsets.UTF_8);

    @Override
    protected void service(final HttpServletRequest request, final HttpServletResponse response) throws IOException {
        LOG.debug("Standby: 503 for {} {}", request.getMethod(), request.getRequestURL());
        answer(request, response);
    }

    /** The standby's answer: 503, Retry-After, a line of text. */
    static void answer(final HttpServletRequest request, final HttpServletResponse response) throws IOException {
        response.setStatus(HttpServletResponse.SC_SERVICE_UNAVAILABLE);
        response.setHeader("Retry-After", RETRY_AFTER_SECONDS);
        response.setContentType("text/plain;charset=utf-8");
        response.setContentLength(BODY.length);
        if (!"HEAD".equals(request.getMethod())) {
            response.getOutputStream().write(BODY);
        }
    }
}
