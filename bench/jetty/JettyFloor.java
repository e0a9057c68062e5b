import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The ceiling of S2 for any proxy built as a servlet on the Jetty that ota-proxy ships: the same Jetty and servlet
 * API (taken from the runnable jar), default thread pool, one blocking servlet that answers every GET with a 4 KiB
 * body held in memory. No proxy work at all: no cache lookup, no file, no upstream check. What ota-proxy loses
 * against nginx beyond what this loses is ours; the rest is the servlet container's model (a thread handoff per
 * request) on this machine.
 *
 * <p>Usage: {@code JettyFloor <port file>}: binds 127.0.0.1 on a free port and writes the port to the file.
 */
public final class JettyFloor {

    private JettyFloor() {
    }

    public static void main(final String[] args) throws Exception {
        final byte[] body = new byte[4096];
        final Server server = new Server();
        final ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        final ServletContextHandler context = new ServletContextHandler();
        context.addServlet(new ServletHolder(new HttpServlet() {
            private static final long serialVersionUID = 1L;

            @Override
            protected void doGet(final HttpServletRequest request, final HttpServletResponse response)
                    throws IOException {
                response.setContentType("application/octet-stream");
                response.setContentLength(body.length);
                response.getOutputStream().write(body);
            }
        }), "/*");
        server.setHandler(context);
        server.start();
        final Path portFile = Path.of(args[0]);
        final Path tmp = portFile.resolveSibling(portFile.getFileName() + ".tmp");
        Files.writeString(tmp, Integer.toString(connector.getLocalPort()));
        Files.move(tmp, portFile);
        server.join();
    }
}
