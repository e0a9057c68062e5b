package io.otaproxy.admin.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardTarget;

/**
 * {@code GET /status}: a page for a person. Self-contained (no script, style or font from elsewhere: a gateway
 * rarely reaches the Internet); its script fetches {@code /api/status} every second and redraws.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/status")
@HttpWhiteboardTarget(AdminServlets.TARGET)
public final class StatusPageServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    private final String page;

    public StatusPageServlet() throws IOException {
        try (InputStream in = StatusPageServlet.class.getResourceAsStream("status.html")) {
            if (in == null) {
                throw new IOException("status.html is missing from the bundle");
            }
            page = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Override
    protected void doGet(final HttpServletRequest request, final HttpServletResponse response) throws IOException {
        AdminServlets.send(response, 200, "text/html; charset=utf-8", page);
    }
}
