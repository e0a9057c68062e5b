package io.otaproxy.standby.internal;

import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;

import jakarta.servlet.Servlet;

import org.osgi.annotation.bundle.Header;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceListener;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.servlet.whiteboard.HttpWhiteboardConstants;
import org.osgi.service.servlet.whiteboard.Preprocessor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers the standby's three whiteboard services (the {@link StandbyServlet}, the {@link DispatchGapGuard} and the
 * {@link DispatchFailurePage}) with the framework itself, not through Declarative Services: when SCR is updated,
 * every component goes, the proxy servlet included, and the standby must stay to answer that gap with 503 instead
 * of the 404 an OTA client takes for a missing file.
 *
 * <p>It registers them once the proxy's own HTTP instance ({@code otaproxy}) first runs, as the components did once
 * the proxy's configuration existed: registering earlier would only meet Felix HTTP in the middle of its own
 * start-up, which fails a whiteboard service that arrives while an instance starts. After that they stay until the
 * bundle stops; a restarted instance takes them up again like every other whiteboard service.
 */
@Header(name = Constants.BUNDLE_ACTIVATOR, value = "${@class}")
public final class StandbyActivator implements BundleActivator {

    /** The proxy's own HTTP instance, which the standby answers on. */
    static final String TARGET = "(org.apache.felix.http.name=otaproxy)";
    private static final String RUNTIME = "(&(" + Constants.OBJECTCLASS
            + "=org.osgi.service.servlet.runtime.HttpServiceRuntime)" + TARGET + ")";
    private static final Logger LOG = LoggerFactory.getLogger(StandbyActivator.class);

    private final List<ServiceRegistration<?>> registrations = new ArrayList<>(); // guarded by this
    private BundleContext context; // guarded by this: null once stopped
    private ServiceListener listener;

    @Override
    public void start(final BundleContext bundleContext) throws InvalidSyntaxException {
        synchronized (this) {
            context = bundleContext;
        }
        listener = event -> {
            if (event.getType() == ServiceEvent.REGISTERED) {
                register();
            }
        };
        bundleContext.addServiceListener(listener, RUNTIME);
        if (bundleContext.getServiceReferences((String) null, RUNTIME) != null) {
            register(); // the instance ran before this bundle started
        }
    }

    @Override
    public void stop(final BundleContext bundleContext) {
        bundleContext.removeServiceListener(listener);
        synchronized (this) {
            context = null;
            for (final ServiceRegistration<?> registration : registrations) {
                try {
                    registration.unregister();
                } catch (final IllegalStateException e) {
                    // already gone with the framework
                }
            }
            if (!registrations.isEmpty()) {
                LOG.info("Standby answer withdrawn");
            }
            registrations.clear();
        }
    }

    /** Registers the three services, once. */
    private synchronized void register() {
        if (context == null || !registrations.isEmpty()) {
            return;
        }
        final Dictionary<String, Object> standby = whiteboard();
        standby.put(Constants.SERVICE_RANKING, Integer.MIN_VALUE); // any proxy servlet on the pattern shadows it
        standby.put(HttpWhiteboardConstants.HTTP_WHITEBOARD_SERVLET_PATTERN, "/*");
        registrations.add(context.registerService(Servlet.class, new StandbyServlet(), standby));
        registrations.add(context.registerService(Preprocessor.class, new DispatchGapGuard(), whiteboard()));
        final Dictionary<String, Object> errorPage = whiteboard();
        errorPage.put(HttpWhiteboardConstants.HTTP_WHITEBOARD_SERVLET_ERROR_PAGE, "jakarta.servlet.ServletException");
        registrations.add(context.registerService(Servlet.class, new DispatchFailurePage(), errorPage));
        LOG.info("Standby answer ready: 503 while the proxy servlet is away");
    }

    private static Dictionary<String, Object> whiteboard() {
        final Dictionary<String, Object> properties = new Hashtable<>();
        properties.put(HttpWhiteboardConstants.HTTP_WHITEBOARD_TARGET, TARGET);
        return properties;
    }
}
