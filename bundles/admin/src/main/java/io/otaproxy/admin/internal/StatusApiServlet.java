package io.otaproxy.admin.internal;

import java.io.IOException;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardTarget;

/** {@code GET /api/status}: the status page's data as JSON. */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/api/status")
@HttpWhiteboardTarget(AdminServlets.TARGET)
public final class StatusApiServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Reference
    private transient Operations operations;

    @Override
    protected void doGet(final HttpServletRequest request, final HttpServletResponse response) throws IOException {
        AdminServlets.send(response, 200, AdminServlets.JSON, StatusJson.render(operations.status()));
    }
}
