package io.otaproxy.config.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a {@link ProxyInfo} into ConfigAdmin. A configuration is updated only when its properties really change:
 * every update reaches its component, and an update of the HTTP listener restarts Jetty and drops connections.
 */
final class ConfigurationPublisher {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigurationPublisher.class);

    /** Keys ConfigAdmin (or a file installer) keeps on a configuration itself; they are never ours to compare. */
    private static final Set<String> MANAGED_KEYS = Set.of(Constants.SERVICE_PID,
            ConfigurationAdmin.SERVICE_FACTORYPID, ConfigurationAdmin.SERVICE_BUNDLELOCATION,
            ":org.apache.felix.configadmin.revision:", "felix.fileinstall.filename");

    // "?" is the multi-location that binds to no bundle, so the consumers may read what this bundle writes.
    private static final String ANY_LOCATION = "?";

    private static final String HTTP_LISTENER_PID = ConfigKeys.HTTP_FACTORY_PID + "~" + ConfigKeys.HTTP_CONFIG_NAME;
    private static final String ADMIN_LISTENER_PID = ConfigKeys.HTTP_FACTORY_PID + "~"
            + ConfigKeys.ADMIN_HTTP_CONFIG_NAME;

    private final ConfigurationAdmin configAdmin;
    private final ConfigurationMapping mapping;
    private boolean publishedOnce;

    ConfigurationPublisher(final ConfigurationAdmin configAdmin, final ConfigurationMapping mapping) {
        this.configAdmin = configAdmin;
        this.mapping = mapping;
    }

    /**
     * Brings every configuration in line with {@code info}, the HTTP listener last so that the proxy's own
     * configuration exists before it can receive a request.
     *
     * @return how many configurations were updated or deleted
     */
    synchronized int publish(final ProxyInfo info) throws IOException {
        final boolean first = !publishedOnce;
        int changed = 0;
        for (final Map.Entry<String, Map<String, Object>> pid : mapping.singletons(info).entrySet()) {
            if (apply(configAdmin.getConfiguration(pid.getKey(), ANY_LOCATION), pid.getKey(), pid.getValue(),
                    first)) {
                changed++;
            }
        }
        final Map<String, Object> admin = mapping.adminListener(info);
        if (admin != null) {
            final Configuration http = configAdmin.getFactoryConfiguration(ConfigKeys.HTTP_FACTORY_PID,
                    ConfigKeys.ADMIN_HTTP_CONFIG_NAME, ANY_LOCATION);
            if (apply(http, ADMIN_LISTENER_PID, admin, first)) {
                changed++;
            }
        } else if (deleteListener(ADMIN_LISTENER_PID, YamlKeys.ADMIN_LISTEN_PORT + " is 0")) {
            changed++;
        }
        final Map<String, Object> listener = mapping.httpListener(info);
        if (listener != null) {
            final Configuration http = configAdmin.getFactoryConfiguration(ConfigKeys.HTTP_FACTORY_PID,
                    ConfigKeys.HTTP_CONFIG_NAME, ANY_LOCATION);
            if (apply(http, HTTP_LISTENER_PID, listener, first)) {
                changed++;
            }
        } else if (deleteListener(HTTP_LISTENER_PID,
                YamlKeys.ENABLE_LOCAL_OTA_PROXY + " is false, so the proxy does not listen")) {
            changed++;
        }
        publishedOnce = true;
        if (first) {
            LOG.info("Published proxy_info settings ({} configurations changed): {}", changed, info);
        } else if (changed == 0) {
            LOG.debug("proxy_info settings unchanged in ConfigAdmin");
        }
        return changed;
    }

    /** Updates one configuration if its properties differ; logs which keys changed unless this is the first publish. */
    private static boolean apply(final Configuration configuration, final String pid, final Map<String, Object> wanted,
            final boolean quiet) throws IOException {
        final Dictionary<String, Object> current = configuration.getProperties();
        final List<String> changes = differences(current, wanted);
        if (changes.isEmpty()) {
            return false;
        }
        configuration.update(new Hashtable<>(wanted));
        if (quiet) {
            return true;
        }
        final boolean listener = pid.equals(HTTP_LISTENER_PID) || pid.equals(ADMIN_LISTENER_PID);
        if (current == null) {
            LOG.info("Created {}{}: {}", pid, listener ? " (the HTTP listener starts)" : "", render(wanted));
        } else {
            LOG.info("Updated {}{}: {}", pid, listener ? " (the HTTP listener restarts)" : "",
                    String.join(", ", changes));
        }
        return true;
    }

    /** Deletes a listener's configuration if there is one, so that no port is open while it is disabled. */
    private boolean deleteListener(final String pid, final String why) throws IOException {
        // listConfigurations, unlike getFactoryConfiguration, does not create an empty configuration to delete
        final Configuration[] existing;
        try {
            existing = configAdmin.listConfigurations("(" + Constants.SERVICE_PID + "=" + pid + ")");
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException("bad filter for " + pid, e);
        }
        if (existing == null || existing.length == 0) {
            return false;
        }
        for (final Configuration configuration : existing) {
            configuration.delete();
        }
        LOG.info("Deleted {}: {}", pid, why);
        return true;
    }

    /** Each difference as {@code key old → new}; an empty list when the configuration already holds {@code wanted}. */
    static List<String> differences(final Dictionary<String, Object> current, final Map<String, Object> wanted) {
        final List<String> changes = new ArrayList<>();
        for (final Map.Entry<String, Object> entry : wanted.entrySet()) {
            final Object old = current == null ? null : current.get(entry.getKey());
            if (!Objects.deepEquals(old, entry.getValue())) {
                changes.add(entry.getKey() + " " + show(old) + " → " + show(entry.getValue()));
            }
        }
        if (current != null) {
            for (final String key : Collections.list(current.keys())) {
                if (!wanted.containsKey(key) && !MANAGED_KEYS.contains(key)) {
                    changes.add(key + " " + show(current.get(key)) + " → (removed)");
                }
            }
        }
        return changes;
    }

    private static String render(final Map<String, Object> properties) {
        final List<String> entries = new ArrayList<>();
        properties.forEach((key, value) -> entries.add(key + " = " + show(value)));
        return String.join(", ", entries);
    }

    private static String show(final Object value) {
        if (value == null) {
            return "(none)";
        }
        if (value instanceof Object[]) {
            return Arrays.toString((Object[]) value);
        }
        return value instanceof String ? "\"" + value + "\"" : String.valueOf(value);
    }
}
