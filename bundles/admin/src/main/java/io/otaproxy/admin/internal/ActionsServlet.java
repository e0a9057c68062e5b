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

/**
 * The admin API's actions: {@code POST /api/purge?key=<key>|all} and {@code POST /api/evict}. POST only, so
 * that a page or a crawler following links never purges anything; 403 unless the configuration allows them.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern({"/api/purge", "/api/evict"})
@HttpWhiteboardTarget(AdminServlets.TARGET)
public final class ActionsServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Reference
    private transient Operations operations;

    @Override
    protected void doPost(final HttpServletRequest request, final HttpServletResponse response) throws IOException {
        final ActionResult result;
        try {
            result = request.getServletPath().equals("/api/purge") ? operations.purge(request.getParameter("key"))
                    : operations.evict();
        } catch (final IllegalStateException e) {
            AdminServlets.send(response, 500, AdminServlets.JSON,
                    StatusJson.render(new ActionResult(500, e.getMessage(), 0)));
            return;
        }
        AdminServlets.send(response, result.status(), AdminServlets.JSON, StatusJson.render(result));
    }

    @Override
    protected void doGet(final HttpServletRequest request, final HttpServletResponse response) throws IOException {
        response.setHeader("Allow", "POST");
        AdminServlets.send(response, 405, AdminServlets.JSON,
                StatusJson.render(new ActionResult(405, "use POST for " + request.getServletPath(), 0)));
    }
}
