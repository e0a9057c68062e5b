package io.otaproxy.proxy.internal.upstream;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Idle keep-alive connections per route, most recently used first, dropped when too old or too many. */
final class ConnectionPool {

    private final int maxIdlePerRoute;
    private final long keepAliveNanos;
    private final Map<Route, Deque<UpstreamConnection>> idle = new HashMap<>();
    private boolean closed;

    ConnectionPool(final int maxIdlePerRoute, final long keepAliveMillis) {
        this.maxIdlePerRoute = maxIdlePerRoute;
        this.keepAliveNanos = TimeUnit.MILLISECONDS.toNanos(keepAliveMillis);
    }

    /** An idle connection to the route that still looks alive, or null. */
    UpstreamConnection acquire(final Route route) {
        final List<UpstreamConnection> stale = new ArrayList<>();
        UpstreamConnection found = null;
        synchronized (this) {
            final Deque<UpstreamConnection> queue = idle.get(route);
            while (queue != null && !queue.isEmpty()) {
                final UpstreamConnection c = queue.pollFirst();
                if (c.idleNanos() < keepAliveNanos && c.looksUsable()) {
                    found = c;
                    break;
                }
                stale.add(c);
            }
            if (queue != null && queue.isEmpty()) {
                idle.remove(route);
            }
        }
        closeAll(stale);
        return found;
    }

    /** Keeps the connection for reuse, or closes it if the pool is closed or full. */
    void release(final UpstreamConnection connection) {
        final List<UpstreamConnection> toClose = new ArrayList<>();
        synchronized (this) {
            if (closed || maxIdlePerRoute == 0 || keepAliveNanos == 0) {
                toClose.add(connection);
            } else {
                connection.markIdle();
                final Deque<UpstreamConnection> queue = idle.computeIfAbsent(connection.route(), r -> new ArrayDeque<>());
                queue.addFirst(connection);
                while (queue.size() > maxIdlePerRoute) {
                    toClose.add(queue.pollLast());
                }
                collectExpired(toClose);
            }
        }
        closeAll(toClose);
    }

    /** Closes every idle connection; later releases close their connection instead of keeping it. */
    void close() {
        final List<UpstreamConnection> toClose = new ArrayList<>();
        synchronized (this) {
            closed = true;
            for (final Deque<UpstreamConnection> queue : idle.values()) {
                toClose.addAll(queue);
            }
            idle.clear();
        }
        closeAll(toClose);
    }

    /** Closes the idle connection that has waited longest, on any route; false if there is none. */
    boolean closeOldestIdle() {
        UpstreamConnection oldest = null;
        Deque<UpstreamConnection> from = null;
        synchronized (this) {
            for (final Deque<UpstreamConnection> queue : idle.values()) {
                final UpstreamConnection c = queue.peekLast();
                if (c != null && (oldest == null || c.idleNanos() > oldest.idleNanos())) {
                    oldest = c;
                    from = queue;
                }
            }
            if (oldest == null) {
                return false;
            }
            from.pollLast();
            if (from.isEmpty()) {
                idle.remove(oldest.route());
            }
        }
        oldest.close();
        return true;
    }

    synchronized int idleCount() {
        int n = 0;
        for (final Deque<UpstreamConnection> queue : idle.values()) {
            n += queue.size();
        }
        return n;
    }

    /** Without a reaper thread, expired connections go whenever the pool is touched. */
    private void collectExpired(final List<UpstreamConnection> into) {
        final Iterator<Deque<UpstreamConnection>> routes = idle.values().iterator();
        while (routes.hasNext()) {
            final Deque<UpstreamConnection> queue = routes.next();
            // oldest at the tail
            while (!queue.isEmpty() && queue.peekLast().idleNanos() >= keepAliveNanos) {
                into.add(queue.pollLast());
            }
            if (queue.isEmpty()) {
                routes.remove();
            }
        }
    }

    private static void closeAll(final List<UpstreamConnection> connections) {
        for (final UpstreamConnection c : connections) {
            c.close();
        }
    }
}
