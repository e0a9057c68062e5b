package io.otaproxy.proxy.internal.jetty;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A deadline for the first request head on every new connection of one connector: a connection that has not
 * delivered a complete request line and header block this long after it opened is closed, however slowly it keeps
 * sending bytes. Jetty's idle timeout alone restarts with every byte, so a client trickling its head could hold a
 * connection forever. Connections that completed a request are left to the idle timeout.
 */
final class HeaderDeadline implements Connection.Listener, HttpConfiguration.Customizer {

    private static final Logger LOG = LoggerFactory.getLogger(HeaderDeadline.class);

    /** Stands in for a task while it is being scheduled. */
    private static final Scheduler.Task SCHEDULING = () -> false;

    private final AbstractConnector connector;
    private final HttpConfiguration configuration;
    private final long timeoutMillis;
    private final ConcurrentHashMap<Connection, Scheduler.Task> waiting = new ConcurrentHashMap<>();
    private volatile boolean removed;

    private HeaderDeadline(final AbstractConnector connector, final HttpConfiguration configuration,
            final long timeoutMillis) {
        this.connector = connector;
        this.configuration = configuration;
        this.timeoutMillis = timeoutMillis;
    }

    /** Starts watching the connections this connector opens from now on. */
    static HeaderDeadline install(final AbstractConnector connector, final HttpConfiguration configuration,
            final long timeoutMillis) {
        final HeaderDeadline deadline = new HeaderDeadline(connector, configuration, timeoutMillis);
        configuration.addCustomizer(deadline);
        connector.addEventListener(deadline);
        return deadline;
    }

    /** Stops watching; connections waiting for their head keep only the idle timeout. */
    void remove() {
        removed = true;
        connector.removeEventListener(this);
        configuration.removeCustomizer(this);
        waiting.values().forEach(Scheduler.Task::cancel);
        waiting.clear();
    }

    int waitingConnections() {
        return waiting.size();
    }

    @Override
    public void onOpened(final Connection connection) {
        if (removed) {
            return;
        }
        waiting.put(connection, SCHEDULING);
        final Scheduler.Task task = connector.getScheduler().schedule(() -> expire(connection), timeoutMillis,
                TimeUnit.MILLISECONDS);
        if (!waiting.replace(connection, SCHEDULING, task)) {
            task.cancel(); // the head arrived, or the connection closed, while the task was being scheduled
        }
    }

    @Override
    public void onClosed(final Connection connection) {
        final Scheduler.Task task = waiting.remove(connection);
        if (task != null) {
            task.cancel();
        }
    }

    /** Called by Jetty once a request head is complete: this connection has made its deadline. */
    @Override
    public Request customize(final Request request, final HttpFields.Mutable responseHeaders) {
        final Scheduler.Task task = waiting.remove(request.getConnectionMetaData().getConnection());
        if (task != null) {
            task.cancel();
        }
        return request;
    }

    private void expire(final Connection connection) {
        if (waiting.remove(connection) != null) {
            LOG.debug("Closing {}: no complete request head within {} ms", connection.getEndPoint().getRemoteSocketAddress(),
                    timeoutMillis);
            connection.getEndPoint().close();
        }
    }
}
