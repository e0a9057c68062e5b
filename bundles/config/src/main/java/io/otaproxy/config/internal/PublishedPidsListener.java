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
 *
 * <p>A deleted configuration is recreated only after a pause: Felix SCR, handling a deletion, looks the PID up
 * again, and a configuration recreated before it does so counts as one it has already seen (its change count starts
 * low again), so the component would keep the deleted configuration in force.
 */
final class PublishedPidsListener implements ConfigurationListener {

    /** Asks for the current settings to be published again after a delay; must not block. */
    interface Republish {
        void after(long delayMillis);
    }

    private static final Set<String> PIDS = Set.of(ConfigKeys.PROXY_PID, ConfigKeys.CACHE_PID, ConfigKeys.DISK_PID,
            ConfigKeys.LOGGING_PID, ConfigKeys.ADMIN_PID,
            ConfigKeys.HTTP_FACTORY_PID + "~" + ConfigKeys.HTTP_CONFIG_NAME,
            ConfigKeys.HTTP_FACTORY_PID + "~" + ConfigKeys.ADMIN_HTTP_CONFIG_NAME);

    private final Republish republish;
    private final long afterDeletionMillis;

    /** @param afterDeletionMillis how long the other listeners get to handle a deletion before the PID is recreated */
    PublishedPidsListener(final Republish republish, final long afterDeletionMillis) {
        this.republish = republish;
        this.afterDeletionMillis = afterDeletionMillis;
    }

    @Override
    public void configurationEvent(final ConfigurationEvent event) {
        final long delay = delayFor(event.getType(), event.getPid());
        if (delay >= 0) {
            republish.after(delay);
        }
    }

    /**
     * How long to wait before publishing again after an event of this type on this PID, or -1 when the event
     * cannot have taken away anything the file wrote.
     */
    long delayFor(final int type, final String pid) {
        if (!PIDS.contains(pid)) {
            return -1;
        }
        if (type == ConfigurationEvent.CM_UPDATED) {
            return 0;
        }
        return type == ConfigurationEvent.CM_DELETED ? afterDeletionMillis : -1;
    }
}
