package io.otaproxy.standby.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardTarget;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers on the proxy's listener while the proxy servlet is away: during an update or restart of the proxy bundle,
 * or a configuration it refuses to start with. It takes the same pattern on the same HTTP instance at the lowest
 * ranking, so the HTTP whiteboard shadows it whenever the proxy servlet is registered and dispatches to it in the
 * gap. Without it the gap is answered {@code 404}, which an OTA client takes as "this file does not exist"; a
 * {@code 503} with {@code Retry-After} says "ask again in a moment", which is the truth.
 *
 * <p>It waits for the proxy's configuration, as the listener it answers on does: registering earlier would only
 * meet the platform's HTTP service in the middle of its own start-up (Felix HTTP fails a whiteboard service that
 * arrives while an instance restarts). Its answer depends on no setting, so a change of them changes nothing.
 */
@Component(service = Servlet.class, property = "service.ranking:Integer=" + Integer.MIN_VALUE,
        configurationPid = StandbyServlet.PROXY_PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@HttpWhiteboardServletPattern("/*")
@HttpWhiteboardTarget("(org.apache.felix.http.name=otaproxy)")
public final class StandbyServlet extends HttpServlet {

    /** The proxy's configuration: its presence, not its content, is what the standby waits for. */
    static final String PROXY_PID = "io.otaproxy.proxy";

    /** Seconds an ECU is asked to wait before it asks again. */
    static final String RETRY_AFTER_SECONDS = "1";

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(StandbyServlet.class);
    private static final byte[] BODY = ("ota-proxy is not serving at this moment (its proxy service is being started,"
            + " updated or reconfigured); try again shortly.\n").getBytes(StandardCharsets.UTF_8);

    @Activate
    void activate() {
        LOG.info("Standby answer ready: 503 while the proxy servlet is away");
    }

    @Modified
    void modified() {
        // the answer depends on no setting
    }

    @Deactivate
    void deactivate() {
        LOG.info("Standby answer withdrawn");
    }

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
