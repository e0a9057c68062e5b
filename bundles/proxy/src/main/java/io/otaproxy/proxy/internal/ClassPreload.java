package io.otaproxy.proxy.internal;

import java.net.URL;
import java.util.Enumeration;

import org.osgi.framework.Bundle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads every class of this bundle's implementation packages when a component starts. Work in flight (a download,
 * a response being written) may outlive the bundle's revision: after an update and refresh, the old revision's
 * class loader refuses to load anything new, so a class first needed then would fail the work with
 * NoClassDefFoundError. Loaded up front, every class the old revision's work can need is already there.
 */
final class ClassPreload {

    private static final Logger LOG = LoggerFactory.getLogger(ClassPreload.class);

    private ClassPreload() {
    }

    /** @param bundle this bundle; null outside a framework (unit tests), where there is nothing to do */
    static void all(final Bundle bundle) {
        if (bundle == null) {
            return;
        }
        final String path = ClassPreload.class.getPackageName().replace('.', '/');
        final Enumeration<URL> entries = bundle.findEntries(path, "*.class", true);
        int loaded = 0;
        while (entries != null && entries.hasMoreElements()) {
            final String entry = entries.nextElement().getPath();
            final String name = entry.substring(entry.indexOf(path), entry.length() - ".class".length())
                    .replace('/', '.');
            try {
                Class.forName(name, false, ClassPreload.class.getClassLoader());
                loaded++;
            } catch (final ClassNotFoundException | LinkageError e) {
                LOG.debug("Cannot preload {}: {}", name, e.toString());
            }
        }
        LOG.debug("Preloaded {} classes of {}", loaded, bundle.getSymbolicName());
    }
}
