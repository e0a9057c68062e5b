package io.otaproxy.config.internal;

import java.util.Set;

import org.osgi.service.cm.ConfigurationEvent;
import org.osgi.service.cm.ConfigurationListener;

/**
 * Hands the file's settings to ConfigAdmin again when someone else updated or deleted a configuration the bridge
 * writes. A file installer (Karaf's {@code etc/*.cfg}) replaces a whole configuration with the keys its file names
 * and deletes it with the file; without this, every key proxy_info.yml wrote there would be missing (the
 * component falling back to its defaults, or stopping) until the next edit of proxy_info.yml. A missing property
 * is the file's by the precedence rule, so writing it back at once is what the next edit would do anyway; a
 * property set elsewhere is kept as always. The bridge's own updates come back here too and find nothing to do.
 */
final class PublishedPidsListener implements ConfigurationListener {

    private static final Set<String> PIDS = Set.of(ConfigKeys.PROXY_PID, ConfigKeys.CACHE_PID, ConfigKeys.DISK_PID,
            ConfigKeys.LOGGING_PID, ConfigKeys.ADMIN_PID,
            ConfigKeys.HTTP_FACTORY_PID + "~" + ConfigKeys.HTTP_CONFIG_NAME,
            ConfigKeys.HTTP_FACTORY_PID + "~" + ConfigKeys.ADMIN_HTTP_CONFIG_NAME);

    private final Runnable republish;

    /** @param republish asks for the current settings to be published again; must not block */
    PublishedPidsListener(final Runnable republish) {
        this.republish = republish;
    }

    @Override
    public void configurationEvent(final ConfigurationEvent event) {
        if (concerns(event.getType(), event.getPid())) {
            republish.run();
        }
    }

    /** Whether an event of this type on this PID may have taken away something the file wrote. */
    static boolean concerns(final int type, final String pid) {
        return (type == ConfigurationEvent.CM_UPDATED || type == ConfigurationEvent.CM_DELETED) && PIDS.contains(pid);
    }
}
