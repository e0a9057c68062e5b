package io.otaproxy.support.internal;

import java.util.HashMap;
import java.util.Map;

import io.otaproxy.api.config.RefusedConfiguration;

import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceRegistration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The configurations this bundle's components refused: each is logged once as an ERROR line naming the PID, the key
 * and the value, and offered as a {@link RefusedConfiguration} service (which the admin endpoint shows) until the
 * PID's next valid configuration. Static because a refused first configuration leaves no component instance.
 *
 * <p>Embedded privately in each bundle that uses it: every bundle has its own copy, so the static record is that
 * bundle's alone and the refusal is registered by that bundle.
 */
public final class Refusals {

    private static final Logger LOG = LoggerFactory.getLogger(Refusals.class);
    private static final Map<String, ServiceRegistration<RefusedConfiguration>> REGISTERED = new HashMap<>();

    private Refusals() {
    }

    /** Logs the refusal and offers it; {@code keeping} says what stays in force instead. */
    public static synchronized void refused(final RefusedConfiguration refusal, final String keeping) {
        LOG.error("Refusing configuration {}: {} = {} ({}); {}", refusal.pid(), refusal.key(), refusal.value(),
                refusal.reason(), keeping);
        withdraw(refusal.pid());
        final Bundle bundle = FrameworkUtil.getBundle(Refusals.class);
        if (bundle != null && bundle.getBundleContext() != null) {
            REGISTERED.put(refusal.pid(),
                    bundle.getBundleContext().registerService(RefusedConfiguration.class, refusal, null));
        }
    }

    /** The PID's configuration is valid again: its refusal, if any, is withdrawn. */
    public static synchronized void accepted(final String pid) {
        withdraw(pid);
    }

    private static void withdraw(final String pid) {
        final ServiceRegistration<RefusedConfiguration> old = REGISTERED.remove(pid);
        if (old != null) {
            try {
                old.unregister();
            } catch (final IllegalStateException e) {
                // the bundle stopped since: the framework withdrew it already
            }
        }
    }
}
