package io.otaproxy.proxy.internal.jetty;

import java.util.ArrayList;
import java.util.List;

import org.apache.felix.http.jetty.ConnectorFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts the request-head deadline on the proxy's own Jetty listener, and the {@link VersionErrors} answer on its
 * Jetty. Felix HTTP offers every Jetty server it starts
 * to {@link ConnectorFactory} services; this one finds the connector on the proxy's listen port, installs a
 * {@link HeaderDeadline} on it, and hands back an inert in-memory connector (no port, no threads) whose stop removes
 * the deadline again. Other Jetty servers of the platform are left untouched. A configuration change re-registers
 * the service, so a Jetty restarted on a new port is found again.
 */
@Component(service = ConnectorFactory.class, configurationPid = "io.otaproxy.proxy",
        configurationPolicy = ConfigurationPolicy.REQUIRE)
public final class HeaderDeadlineHook implements ConnectorFactory {

    private static final Logger LOG = LoggerFactory.getLogger(HeaderDeadlineHook.class);

    /** The properties of the proxy's configuration this component reads. */
    @interface Config {
        int listen_port() default 8082;

        int client_header_timeout_ms() default 30_000;
    }

    private volatile int listenPort;
    private volatile int timeoutMillis;

    @Activate
    void activate(final Config config) {
        listenPort = config.listen_port();
        timeoutMillis = config.client_header_timeout_ms();
        LOG.info("Activating request head deadline: {} ms on port {}", timeoutMillis, listenPort);
    }

    @Deactivate
    void deactivate() {
        LOG.info("Deactivating request head deadline");
    }

    @Override
    public Connector createConnector(final Server server) {
        final List<ServerConnector> targets = new ArrayList<>();
        for (final Connector connector : server.getConnectors()) {
            if (connector instanceof ServerConnector sc && !(connector instanceof Marker) && sc.getPort() == listenPort
                    && sc.getConnectionFactory(HttpConnectionFactory.class) != null) {
                targets.add(sc);
            }
        }
        return new Marker(server, targets, timeoutMillis);
    }

    /**
     * What Felix HTTP gets back: a connector that never opens a socket and runs no thread. Felix lists every
     * connector as an endpoint and needs a ServerConnector, so it carries the host and port of the connector it
     * watches. Starting it puts the deadline on that connector; stopping it takes the deadline off.
     */
    static final class Marker extends ServerConnector {
        private final List<ServerConnector> targets;
        private final long timeoutMillis;
        private final List<HeaderDeadline> installed = new ArrayList<>();
        private VersionErrors versionErrors; // installed on the server while started, if it serves the proxy

        Marker(final Server server, final List<ServerConnector> targets, final long timeoutMillis) {
            super(server, 1, 1, new HttpConnectionFactory());
            this.targets = targets;
            this.timeoutMillis = timeoutMillis;
            setName("otaproxy-head-deadline");
            if (!targets.isEmpty()) {
                setHost(targets.get(0).getHost());
                setPort(targets.get(0).getPort());
            }
        }

        @Override
        protected void doStart() {
            // deliberately not the ServerConnector start: no socket, no acceptor, no selector
            if (!targets.isEmpty()) {
                final Server server = getServer();
                final Request.Handler current = server.getErrorHandler();
                versionErrors = new VersionErrors(current != null ? current : new ErrorHandler());
                server.setErrorHandler(versionErrors);
            }
            if (timeoutMillis <= 0) {
                return;
            }
            for (final ServerConnector target : targets) {
                installed.add(HeaderDeadline.install(target,
                        target.getConnectionFactory(HttpConnectionFactory.class).getHttpConfiguration(), timeoutMillis));
                LOG.debug("Request head deadline of {} ms on {}", timeoutMillis, target);
            }
        }

        @Override
        protected void doStop() {
            installed.forEach(HeaderDeadline::remove);
            installed.clear();
            if (versionErrors != null && getServer().getErrorHandler() == versionErrors) {
                getServer().setErrorHandler(versionErrors.next());
            }
            versionErrors = null;
        }

        @Override
        public void open() {
            // never listens
        }

        @Override
        public boolean isOpen() {
            return false;
        }

        @Override
        public int getLocalPort() {
            return -1;
        }

        @Override
        public void accept(final int acceptorID) {
            // never accepts; no acceptor runs because doStart starts none
        }
    }
}
