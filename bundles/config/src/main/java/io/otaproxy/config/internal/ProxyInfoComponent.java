package io.otaproxy.config.internal;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.cm.ConfigurationListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads proxy_info.yml into ConfigAdmin and keeps it there while the file changes. Its own inputs are framework
 * properties, set at launch like command-line flags, so it takes no configuration itself: a component that
 * writes ConfigAdmin should not also be steered through it.
 */
@Component(immediate = true, service = {}, configurationPolicy = ConfigurationPolicy.IGNORE)
public final class ProxyInfoComponent {

    private static final Logger LOG = LoggerFactory.getLogger(ProxyInfoComponent.class);

    static final long DEFAULT_POLL_MS = 1_000;
    /** In the bundle's data area: kept across restarts on the same storage and across updates of this bundle. */
    static final String WRITTEN_VALUES_FILE = "written-values.properties";
    // Polling faster than this buys nothing for a hand-edited file and costs a read per tick.
    static final long MIN_POLL_MS = 10;
    /** How long SCR and other listeners get to handle the deletion of a PID before the file's settings recreate it. */
    static final long AFTER_DELETION_MS = 1_000;

    private final ProxyInfoWatcher watcher;
    private final ServiceRegistration<ConfigurationListener> listener;

    @Activate
    public ProxyInfoComponent(final BundleContext context, @Reference(name = "configAdmin") final ConfigurationAdmin configAdmin) {
        final Path file = configFile(context.getProperty(ConfigKeys.FRAMEWORK_CONFIG_FILE));
        final long pollMs = pollMs(context.getProperty(ConfigKeys.FRAMEWORK_POLL_MS));
        final Map<String, String> overrides = overrides(context);
        LOG.info("Activating proxy_info reader: file {}, poll every {} ms, overrides {}",
                file == null ? "(none)" : file, pollMs, overrides);
        final java.io.File record = context.getDataFile(WRITTEN_VALUES_FILE);
        final ConfigurationPublisher publisher = new ConfigurationPublisher(configAdmin,
                new ConfigurationMapping(context.getProperty(Constants.FRAMEWORK_UUID)),
                record == null ? WrittenValues.inMemory() : WrittenValues.load(record.toPath()));
        watcher = new ProxyInfoWatcher(file, new ProxyInfoParser(Paths.get("")), overrides, publisher::publish,
                pollMs);
        // synchronous on purpose: the proxy's listener must not come up before its configuration exists
        watcher.start();
        // registered by hand, after the first publish: a listener the component itself provided could be called
        // before the watcher exists
        listener = context.registerService(ConfigurationListener.class,
                new PublishedPidsListener(watcher::republish, AFTER_DELETION_MS), null);
    }

    @Deactivate
    void deactivate() {
        LOG.info("Deactivating proxy_info reader; the published configurations stay in place");
        try {
            listener.unregister();
        } catch (IllegalStateException alreadyGone) {
            // the bundle is stopping and the framework unregistered it first
        }
        watcher.stop();
    }

    private static Path configFile(final String property) {
        if (property == null || property.isBlank()) {
            return null;
        }
        try {
            return Paths.get(property.trim()).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            LOG.error("{} = {} is not a valid path; running on the embedded defaults and overrides",
                    ConfigKeys.FRAMEWORK_CONFIG_FILE, InvalidProxyInfoException.render(property));
            return null;
        }
    }

    private static long pollMs(final String property) {
        if (property == null || property.isBlank()) {
            return DEFAULT_POLL_MS;
        }
        try {
            final long value = Long.parseLong(property.trim());
            if (value >= MIN_POLL_MS) {
                return value;
            }
        } catch (NumberFormatException e) {
            // refused below, like an out-of-range value
        }
        LOG.warn("{} = {} is not a number of milliseconds >= {}; polling every {} ms", ConfigKeys.FRAMEWORK_POLL_MS,
                InvalidProxyInfoException.render(property), MIN_POLL_MS, DEFAULT_POLL_MS);
        return DEFAULT_POLL_MS;
    }

    /** Framework properties cannot be listed, so each known key is asked for by name. */
    private static Map<String, String> overrides(final BundleContext context) {
        final Map<String, String> overrides = new LinkedHashMap<>();
        for (final String key : YamlKeys.ALL) {
            final String value = context.getProperty(ConfigKeys.FRAMEWORK_OVERRIDE_PREFIX + key);
            if (value != null) {
                overrides.put(key, value);
            }
        }
        return overrides;
    }
}
