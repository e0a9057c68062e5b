import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable.InvocationType;

/**
 * Ceilings of S2 on the Jetty that ota-proxy ships: the same Jetty and servlet API (taken from the runnable jar),
 * default thread pool, answering every GET with a 4 KiB body held in memory. No proxy work at all: no cache lookup,
 * no file, no upstream check. Three ways to answer, to tell what the server model costs:
 * <ul>
 * <li>{@code servlet}: one blocking servlet, as ota-proxy's proxy servlet is reached (a thread hand-off per
 * request: a blocking task never runs on the selector thread);</li>
 * <li>{@code core}: a Jetty core handler that declares itself blocking: no servlet layer, still the hand-off;</li>
 * <li>{@code core-nonblocking}: a Jetty core handler that declares itself non-blocking, so Jetty runs it on the
 * thread that read the request: no hand-off. The servlet API cannot do this.</li>
 * </ul>
 *
 * <p>Usage: {@code JettyFloor <port file> [servlet|core|core-nonblocking]}: binds 127.0.0.1 on a free port and
 * writes the port to the file.
 */
public final class JettyFloor {

    private JettyFloor() {
    }

    public static void main(final String[] args) throws Exception {
        final String mode = args.length > 1 ? args[1] : "servlet";
        final byte[] body = new byte[4096];
        final Server server = new Server();
        final ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        switch (mode) {
            case "servlet" -> server.setHandler(servlet(body));
            case "core" -> server.setHandler(core(body, InvocationType.BLOCKING));
            case "core-nonblocking" -> server.setHandler(core(body, InvocationType.NON_BLOCKING));
            default -> throw new IllegalArgumentException("unknown mode " + mode);
        }
        server.start();
        final Path portFile = Path.of(args[0]);
        final Path tmp = portFile.resolveSibling(portFile.getFileName() + ".tmp");
        Files.writeString(tmp, Integer.toString(connector.getLocalPort()));
        Files.move(tmp, portFile);
        server.join();
    }

    private static Handler servlet(final byte[] body) {
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
        return context;
    }

    private static Handler core(final byte[] body, final InvocationType type) {
        return new Handler.Abstract(type) {
            @Override
            public boolean handle(final Request request, final Response response, final Callback callback) {
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
                response.write(true, ByteBuffer.wrap(body), callback); // completes the callback when written
                return true;
            }
        };
    }
}
