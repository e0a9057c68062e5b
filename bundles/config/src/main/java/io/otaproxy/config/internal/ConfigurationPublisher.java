package io.otaproxy.config.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.LinkedHashMap;
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
 * Writes a {@link ProxyInfo} into ConfigAdmin, where the file is one writer among others. A property is written only
 * if it is missing or still holds the value this bridge wrote there last ({@link WrittenValues}); a value set
 * directly in ConfigAdmin since then is kept, and the file's value for it is logged as not applied. Properties the
 * file does not map (a file installer's, a console's) are kept as they are. A configuration is updated only when
 * a property really changes: every update reaches its component, and an update of the HTTP listener restarts Jetty
 * and drops connections.
 */
final class ConfigurationPublisher {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigurationPublisher.class);

    /** The key by which a file installer links a configuration to its {@code .cfg} file; kept on every update. */
    private static final String FILE_INSTALL_KEY = "felix.fileinstall.filename";

    /** Keys ConfigAdmin (or a file installer) keeps on a configuration itself; never ours to write. */
    private static final Set<String> MANAGED_KEYS = Set.of(Constants.SERVICE_PID,
            ConfigurationAdmin.SERVICE_FACTORYPID, ConfigurationAdmin.SERVICE_BUNDLELOCATION,
            ":org.apache.felix.configadmin.revision:", FILE_INSTALL_KEY);

    // "?" is the multi-location that binds to no bundle, so the consumers may read what this bundle writes.
    private static final String ANY_LOCATION = "?";

    private static final String HTTP_LISTENER_PID = ConfigKeys.HTTP_FACTORY_PID + "~" + ConfigKeys.HTTP_CONFIG_NAME;
    private static final String ADMIN_LISTENER_PID = ConfigKeys.HTTP_FACTORY_PID + "~"
            + ConfigKeys.ADMIN_HTTP_CONFIG_NAME;

    private final ConfigurationAdmin configAdmin;
    private final ConfigurationMapping mapping;
    private final WrittenValues written;
    /** The kept values last logged per PID: a publish that keeps the same ones again says nothing new. */
    private final Map<String, List<String>> keptLogged = new HashMap<>();
    /** The unusable listen address last logged: publishing again with the same one says nothing new. */
    private String badListenLogged;
    private boolean publishedOnce;

    ConfigurationPublisher(final ConfigurationAdmin configAdmin, final ConfigurationMapping mapping,
            final WrittenValues written) {
        this.configAdmin = configAdmin;
        this.mapping = mapping;
        this.written = written;
    }

    /**
     * Brings every configuration in line with {@code info}: the proxy's HTTP listener after the components' own
     * configurations, so that the proxy is configured before it can receive a request, and before the admin
     * endpoint's listener, since ConfigAdmin hands them to Felix HTTP one after the other and starting a Jetty
     * instance takes a while: the proxy answers its first request that much sooner after a start.
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
        final Map<String, Object> listener = mapping.httpListener(info);
        if (listener != null) {
            final Configuration http = configAdmin.getFactoryConfiguration(ConfigKeys.HTTP_FACTORY_PID,
                    ConfigKeys.HTTP_CONFIG_NAME, ANY_LOCATION);
            if (apply(http, HTTP_LISTENER_PID, listeningWhereTheProxySays(listener), first)) {
                changed++;
            }
        } else if (deleteListener(HTTP_LISTENER_PID,
                YamlKeys.ENABLE_LOCAL_OTA_PROXY + " is false, so the proxy does not listen")) {
            changed++;
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
        publishedOnce = true;
        written.save();
        if (first) {
            LOG.info("Published proxy_info settings ({} configurations changed): {}", changed, info);
        } else if (changed == 0) {
            LOG.debug("proxy_info settings unchanged in ConfigAdmin");
        }
        return changed;
    }

    /**
     * The proxy's listener with the host and port the proxy's own configuration holds now, whoever wrote them (the
     * file, or a console): {@code listen.addr} and {@code listen.port} of {@code io.otaproxy.proxy} are the one place
     * the listener is set, and this bridge carries them to Felix HTTP's factory configuration, where they are never
     * kept against it. Values the proxy refuses too (no address, a port outside 1..65535) move nothing: the
     * listener keeps the address it has.
     */
    private Map<String, Object> listeningWhereTheProxySays(final Map<String, Object> listener) throws IOException {
        final Dictionary<String, Object> proxy = configAdmin.getConfiguration(ConfigKeys.PROXY_PID, ANY_LOCATION)
                .getProperties();
        if (proxy == null) {
            return listener;
        }
        final Object addr = proxy.get(ConfigKeys.PROXY_LISTEN_ADDR);
        final Integer port = port(proxy.get(ConfigKeys.PROXY_LISTEN_PORT));
        final Map<String, Object> following = new LinkedHashMap<>(listener);
        if (addr instanceof String a && !a.isBlank() && port != null) {
            following.put(ConfigKeys.HTTP_HOST, a.trim());
            following.put(ConfigKeys.HTTP_PORT, port);
            badListenLogged = null;
            return following;
        }
        following.remove(ConfigKeys.HTTP_HOST);
        following.remove(ConfigKeys.HTTP_PORT);
        final String bad = ConfigKeys.PROXY_LISTEN_ADDR + " = " + show(addr) + ", " + ConfigKeys.PROXY_LISTEN_PORT
                + " = " + show(proxy.get(ConfigKeys.PROXY_LISTEN_PORT));
        if (!bad.equals(badListenLogged)) {
            badListenLogged = bad;
            LOG.warn("{}: {} is no address to listen on; the listener stays where it is", ConfigKeys.PROXY_PID, bad);
        }
        return following;
    }

    /** A port from 1 to 65535 as ConfigAdmin may hold it (a number, or the text a {@code .cfg} file gives), or null. */
    private static Integer port(final Object value) {
        final long port;
        if (value instanceof Number n) {
            port = n.longValue();
        } else if (value instanceof String text) {
            try {
                port = Long.parseLong(text.trim());
            } catch (final NumberFormatException e) {
                return null;
            }
        } else {
            return null;
        }
        return port >= 1 && port <= 65_535 ? (int) port : null;
    }

    /**
     * Writes the properties of {@code wanted} that are missing or still the file's, keeping everything else the
     * configuration holds; logs which keys changed unless this is the first publish, and which were kept.
     */
    private boolean apply(final Configuration configuration, final String pid, final Map<String, Object> wanted,
            final boolean quiet) throws IOException {
        final Dictionary<String, Object> current = configuration.getProperties();
        final Hashtable<String, Object> next = new Hashtable<>();
        if (current != null) {
            for (final String key : Collections.list(current.keys())) {
                if (!MANAGED_KEYS.contains(key) || key.equals(FILE_INSTALL_KEY)) {
                    next.put(key, current.get(key));
                }
            }
        }
        final List<String> changes = new ArrayList<>();
        final List<String> kept = new ArrayList<>();
        for (final Map.Entry<String, Object> entry : wanted.entrySet()) {
            final String key = entry.getKey();
            final Object now = current == null ? null : current.get(key);
            if (Objects.deepEquals(now, entry.getValue())) {
                written.written(pid, key, now); // the same value, whoever wrote it: the file's from now on
            } else if (now == null || written.isWritten(pid, key, now) || isListenerAddress(pid, key)) {
                next.put(key, entry.getValue());
                written.written(pid, key, entry.getValue());
                changes.add(key + " " + show(now) + " → " + show(entry.getValue()));
            } else {
                kept.add(key + " = " + show(now) + " (the file's " + show(entry.getValue()) + " not applied)");
            }
        }
        if (!kept.equals(keptLogged.put(pid, kept)) && !kept.isEmpty()) {
            LOG.warn("{}: keeping values set directly in ConfigAdmin: {}; delete such a property in ConfigAdmin to"
                    + " hand it back to proxy_info.yml", pid, String.join(", ", kept));
        }
        if (changes.isEmpty()) {
            return false;
        }
        configuration.update(next);
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

    /** Whether {@code key} is the proxy listener's host or port, which always follow the proxy's configuration. */
    private static boolean isListenerAddress(final String pid, final String key) {
        return pid.equals(HTTP_LISTENER_PID) && (key.equals(ConfigKeys.HTTP_HOST) || key.equals(ConfigKeys.HTTP_PORT));
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
        written.deleted(pid);
        LOG.info("Deleted {}: {}", pid, why);
        return true;
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
