package io.otaproxy.proxy.internal.upstream;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketTimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP/1.1 client for the proxy's upstream side: sends the request-target byte-exact, adds only Host, follows
 * redirects, pools keep-alive connections and reports each failure mode as its own exception. Thread-safe.
 */
public final class UpstreamClient implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(UpstreamClient.class);

    private static final int MAX_INTERIM_RESPONSES = 20;
    /** Redirect bodies up to this size are read off so that their connection can be reused. */
    private static final int REDIRECT_DRAIN_BYTES = 64 * 1024;

    private final UpstreamSettings settings;
    private final ConnectionPool pool;
    private final Connector connector;
    private final ConnectionBudget budget;

    public UpstreamClient(final UpstreamSettings settings) {
        this.settings = settings;
        this.pool = new ConnectionPool(settings.maxIdlePerRoute(), settings.keepAliveMillis());
        this.connector = new Connector(settings);
        this.budget = new ConnectionBudget(settings.maxConnections());
    }

    public UpstreamSettings settings() {
        return settings;
    }

    /**
     * Sends the request, following redirects, and returns once the final response head has arrived. The caller
     * must close (or abort) the response.
     *
     * @throws UpstreamConnectException  upstream (or the upper proxy) could not be reached: answer 502
     * @throws UpstreamTimeoutException  no connection, or no response head, in time: answer 504
     * @throws UpstreamProtocolException the response head was not valid HTTP/1.1: answer 502
     */
    public UpstreamResponse send(final UpstreamRequest request) throws UpstreamException {
        UpstreamRequest current = request;
        for (int redirects = 0;; redirects++) {
            final UpstreamResponse response = exchange(current);
            if (!RedirectResolver.isFollowed(response.status()) || redirects >= settings.maxRedirects()) {
                return response;
            }
            final String location = response.headers().first("Location");
            final UpstreamTarget next = RedirectResolver.resolve(current.target(), location);
            if (next == null) {
                LOG.debug("{}: not following {} to unusable Location {}", current.target(), response.status(),
                        location == null ? null : UpstreamTarget.printable(location));
                return response;
            }
            LOG.debug("{}: {} redirect to {}", current.target(), response.status(), next);
            response.discard(REDIRECT_DRAIN_BYTES);
            current = current.withTarget(next, RedirectResolver.headersFor(current.target(), next, current.headers()));
        }
    }

    /** Closes idle connections; responses still open finish normally and then close their connection. */
    @Override
    public void close() {
        pool.close();
    }

    /** Idle pooled connections, for tests. */
    int idleConnections() {
        return pool.idleCount();
    }

    /** Connections counted against {@code maxConnections}, for tests. */
    int connectionsInUse() {
        return budget.inUse();
    }

    /** One request/response on one connection, retried once on a fresh connection if a pooled one was dead. */
    private UpstreamResponse exchange(final UpstreamRequest request) throws UpstreamException {
        settings.guard().checkTarget(request.target(), settings.hasUpperProxy());
        final Route route = routeFor(request.target());
        final byte[] head = RequestHead.encode(request, settings.hasUpperProxy());
        final UpstreamConnection pooled = pool.acquire(route);
        if (pooled != null) {
            try {
                return exchangeOn(pooled, request, head);
            } catch (final DeadConnection e) {
                pooled.close();
                LOG.debug("pooled connection {} was dead ({}), retrying on a new one", pooled, e.describe());
            }
        }
        final UpstreamConnection fresh = openCounted(route);
        try {
            return exchangeOn(fresh, request, head);
        } catch (final DeadConnection e) {
            fresh.close();
            if (e.getCause() == null) {
                throw new UpstreamProtocolException(route + " closed the connection without sending a response");
            }
            throw new UpstreamConnectException(route + " failed before sending a response: " + e.describe(), e.getCause());
        }
    }

    /** A new connection, counted against the budget until it closes. */
    private UpstreamConnection openCounted(final Route route) throws UpstreamException {
        try {
            if (!budget.acquire(pool, settings.connectTimeoutMillis())) {
                throw new UpstreamRefusedException(503, "all " + budget.max()
                        + " upstream connections are busy; try again later");
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UpstreamRefusedException(503, "interrupted while waiting for an upstream connection");
        }
        try {
            return connector.open(route, budget::release);
        } catch (final UpstreamException | RuntimeException e) {
            budget.release();
            throw e;
        }
    }

    private UpstreamResponse exchangeOn(final UpstreamConnection connection, final UpstreamRequest request,
            final byte[] head) throws UpstreamException, DeadConnection {
        try {
            final OutputStream out = connection.output();
            out.write(head);
            out.flush();
        } catch (final IOException e) {
            throw new DeadConnection(e);
        }
        final HttpInput in = connection.input();
        final int first;
        try {
            first = in.peek();
        } catch (final SocketTimeoutException e) {
            connection.close();
            throw noHeadInTime(connection, e);
        } catch (final IOException e) {
            throw new DeadConnection(e);
        }
        if (first < 0) {
            throw new DeadConnection(null);
        }
        // from the first byte on, a failure is upstream's fault, not a stale pooled connection
        try {
            ResponseHead response = ResponseHead.read(in);
            int interim = 0;
            while (response != null && response.status < 200) {
                if (response.status == 101) {
                    throw new UpstreamProtocolException("upstream switched protocols without being asked to");
                }
                if (++interim > MAX_INTERIM_RESPONSES) {
                    throw new UpstreamProtocolException("upstream sent more than " + MAX_INTERIM_RESPONSES + " interim responses");
                }
                response = ResponseHead.read(in);
            }
            if (response == null) {
                throw new EOFException("connection closed after an interim response");
            }
            return UpstreamResponse.create(request.target(), request.isHead(), response, connection, pool);
        } catch (final SocketTimeoutException e) {
            connection.close();
            throw noHeadInTime(connection, e);
        } catch (final UpstreamException e) {
            connection.close();
            throw e;
        } catch (final IOException e) {
            connection.close();
            throw new UpstreamProtocolException(connection.route() + " failed while sending the response head: " + e, e);
        }
    }

    private UpstreamTimeoutException noHeadInTime(final UpstreamConnection connection, final SocketTimeoutException e) {
        return new UpstreamTimeoutException("no response head from " + connection.route() + " within "
                + settings.readTimeoutMillis() + " ms", e);
    }

    private Route routeFor(final UpstreamTarget target) {
        if (settings.hasUpperProxy()) {
            // https targets also go to the proxy in absolute form over plain http: no CONNECT tunnel
            return new Route(false, settings.upperProxyHost(), settings.upperProxyPort());
        }
        return new Route(target.secure(), target.host(), target.port());
    }

    /** The connection failed before the first response byte: for a pooled one, worth one retry. */
    private static final class DeadConnection extends Exception {
        private static final long serialVersionUID = 1L;

        DeadConnection(final IOException cause) {
            super(cause);
        }

        String describe() {
            return getCause() == null ? "closed by upstream" : getCause().toString();
        }
    }
}
