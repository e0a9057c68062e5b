package io.otaproxy.config.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.osgi.framework.Constants;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/** An in-memory ConfigurationAdmin that counts updates and deletions per PID, for publisher tests. */
final class FakeConfigurationAdmin implements ConfigurationAdmin {

    private final Map<String, FakeConfiguration> configurations = new HashMap<>();
    private final Map<String, Integer> updates = new HashMap<>();
    private final Map<String, Integer> deletions = new HashMap<>();

    /** How many times {@code update(Dictionary)} was called on the PID. */
    int updates(final String pid) {
        return updates.getOrDefault(pid, 0);
    }

    int totalUpdates() {
        return updates.values().stream().mapToInt(Integer::intValue).sum();
    }

    int deletions(final String pid) {
        return deletions.getOrDefault(pid, 0);
    }

    /** The stored properties as a consumer would see them (with service.pid), or null if absent or never updated. */
    Dictionary<String, Object> properties(final String pid) {
        final FakeConfiguration c = configurations.get(pid);
        return c == null ? null : c.getProperties();
    }

    /** The PIDs that hold properties. */
    List<String> pids() {
        final List<String> pids = new ArrayList<>();
        configurations.forEach((pid, c) -> {
            if (c.properties != null) {
                pids.add(pid);
            }
        });
        return pids;
    }

    @Override
    public Configuration getConfiguration(final String pid, final String location) {
        return configurations.computeIfAbsent(pid, p -> new FakeConfiguration(p, null, location));
    }

    @Override
    public Configuration getConfiguration(final String pid) {
        return getConfiguration(pid, null);
    }

    @Override
    public Configuration getFactoryConfiguration(final String factoryPid, final String name, final String location) {
        final String pid = factoryPid + "~" + name;
        return configurations.computeIfAbsent(pid, p -> new FakeConfiguration(p, factoryPid, location));
    }

    @Override
    public Configuration getFactoryConfiguration(final String factoryPid, final String name) {
        return getFactoryConfiguration(factoryPid, name, null);
    }

    @Override
    public Configuration createFactoryConfiguration(final String factoryPid) {
        throw new UnsupportedOperationException("the publisher must use named factory configurations");
    }

    @Override
    public Configuration createFactoryConfiguration(final String factoryPid, final String location) {
        throw new UnsupportedOperationException("the publisher must use named factory configurations");
    }

    @Override
    public Configuration[] listConfigurations(final String filter) throws InvalidSyntaxException {
        final Filter parsed = filter == null ? null : FrameworkUtil.createFilter(filter);
        final List<Configuration> matches = new ArrayList<>();
        for (final FakeConfiguration c : configurations.values()) {
            if (c.properties != null && (parsed == null || parsed.match(c.getProperties()))) {
                matches.add(c);
            }
        }
        // as the specification says: null, not an empty array, when nothing matches
        return matches.isEmpty() ? null : matches.toArray(new Configuration[0]);
    }

    /** One configuration; properties stay null until the first update, as in a real ConfigurationAdmin. */
    private final class FakeConfiguration implements Configuration {
        private final String pid;
        private final String factoryPid;
        private String location;
        private Hashtable<String, Object> properties;
        private long changeCount;

        FakeConfiguration(final String pid, final String factoryPid, final String location) {
            this.pid = pid;
            this.factoryPid = factoryPid;
            this.location = location;
        }

        @Override
        public String getPid() {
            return pid;
        }

        @Override
        public String getFactoryPid() {
            return factoryPid;
        }

        @Override
        public Dictionary<String, Object> getProperties() {
            if (properties == null) {
                return null;
            }
            // a real ConfigurationAdmin adds its own keys; the publisher must not count them as changes
            final Hashtable<String, Object> copy = new Hashtable<>(properties);
            copy.put(Constants.SERVICE_PID, pid);
            if (factoryPid != null) {
                copy.put(ConfigurationAdmin.SERVICE_FACTORYPID, factoryPid);
            }
            return copy;
        }

        @Override
        public Dictionary<String, Object> getProcessedProperties(final ServiceReference<?> reference) {
            return getProperties();
        }

        @Override
        public void update(final Dictionary<String, ?> newProperties) {
            final Hashtable<String, Object> stored = new Hashtable<>();
            for (final Enumeration<String> keys = newProperties.keys(); keys.hasMoreElements();) {
                final String key = keys.nextElement();
                stored.put(key, newProperties.get(key));
            }
            stored.remove(Constants.SERVICE_PID);
            stored.remove(ConfigurationAdmin.SERVICE_FACTORYPID);
            properties = stored;
            changeCount++;
            updates.merge(pid, 1, Integer::sum);
        }

        @Override
        public void update() {
            // nothing is persisted elsewhere, so there is nothing to reload
        }

        @Override
        public boolean updateIfDifferent(final Dictionary<String, ?> newProperties) {
            throw new UnsupportedOperationException("the publisher compares itself");
        }

        @Override
        public void delete() {
            configurations.remove(pid);
            deletions.merge(pid, 1, Integer::sum);
        }

        @Override
        public void setBundleLocation(final String bundleLocation) {
            location = bundleLocation;
        }

        @Override
        public String getBundleLocation() {
            return location;
        }

        @Override
        public long getChangeCount() {
            return changeCount;
        }

        @Override
        public void addAttributes(final ConfigurationAttribute... attrs) throws IOException {
            throw new IOException("attributes are not supported by the fake");
        }

        @Override
        public Set<ConfigurationAttribute> getAttributes() {
            return Set.of();
        }

        @Override
        public void removeAttributes(final ConfigurationAttribute... attrs) {
            // no attributes to remove
        }
    }
}
