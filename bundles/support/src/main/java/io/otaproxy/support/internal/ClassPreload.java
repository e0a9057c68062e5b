package io.otaproxy.support.internal;

import java.net.URL;
import java.util.Enumeration;

import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads every class of a bundle's implementation packages when a component starts. Work in flight (a download,
 * a response being written) may outlive the bundle's revision: after an update and refresh, the old revision's
 * class loader refuses to load anything new, so a class first needed then would fail the work with
 * NoClassDefFoundError. Loaded up front, every class the old revision's work can need is already there.
 *
 * <p>Embedded privately in each bundle that uses it, so this package's classes are the bundle's own too and are
 * loaded with the rest.
 */
public final class ClassPreload {

    private static final Logger LOG = LoggerFactory.getLogger(ClassPreload.class);

    private ClassPreload() {
    }

    /**
     * Loads the classes of {@code anchor}'s package and its subpackages, and of this package, from the bundle that
     * holds {@code anchor}; does nothing outside a framework (unit tests).
     */
    public static void all(final Class<?> anchor) {
        final Bundle bundle = FrameworkUtil.getBundle(anchor);
        if (bundle == null) {
            return;
        }
        final int loaded = load(bundle, anchor.getPackageName(), anchor.getClassLoader())
                + load(bundle, ClassPreload.class.getPackageName(), anchor.getClassLoader());
        LOG.debug("Preloaded {} classes of {}", loaded, bundle.getSymbolicName());
    }

    private static int load(final Bundle bundle, final String packageName, final ClassLoader loader) {
        final String path = packageName.replace('.', '/');
        final Enumeration<URL> entries = bundle.findEntries(path, "*.class", true);
        int loaded = 0;
        while (entries != null && entries.hasMoreElements()) {
            final String entry = entries.nextElement().getPath();
            final String name = entry.substring(entry.indexOf(path), entry.length() - ".class".length())
                    .replace('/', '.');
            try {
                Class.forName(name, false, loader);
                loaded++;
            } catch (final ClassNotFoundException | LinkageError e) {
                LOG.debug("Cannot preload {}: {}", name, e.toString());
            }
        }
        return loaded;
    }
}
