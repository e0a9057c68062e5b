package io.otaproxy.disk.internal;

import io.otaproxy.api.config.RefusedConfiguration;

/** The checks a disk monitor configuration must pass before it replaces the one in force. */
final class DiskSettingsCheck {

    static final String PID = "io.otaproxy.disk";
    static final String CACHE_PID = "io.otaproxy.cache";
    static final long MIN_POLL_MS = 10;
    static final long MAX_POLL_MS = 3_600_000;

    private DiskSettingsCheck() {
    }

    /** The first problem of the configuration, or null when it is valid. */
    static RefusedConfiguration problem(final DiskMonitorConfig config, final String cacheDir, final long now) {
        if (cacheDir == null || cacheDir.isBlank()) {
            return new RefusedConfiguration(CACHE_PID, "cache.dir", cacheDir, "a directory is needed", now);
        }
        if (config.soft_limit_percent() < 1 || config.soft_limit_percent() > 100) {
            return new RefusedConfiguration(PID, "soft.limit.percent", config.soft_limit_percent(),
                    "a percentage from 1 to 100", now);
        }
        if (config.hard_limit_percent() < 1 || config.hard_limit_percent() > 100) {
            return new RefusedConfiguration(PID, "hard.limit.percent", config.hard_limit_percent(),
                    "a percentage from 1 to 100", now);
        }
        if (config.soft_limit_percent() > config.hard_limit_percent()) {
            return new RefusedConfiguration(PID, "soft.limit.percent", config.soft_limit_percent(),
                    "above the hard limit of " + config.hard_limit_percent() + " %", now);
        }
        if (config.cache_max_bytes() < 0) {
            return new RefusedConfiguration(PID, "cache.max.bytes", config.cache_max_bytes(),
                    "a number of bytes, 0 for no cap", now);
        }
        if (config.poll_interval_ms() < MIN_POLL_MS || config.poll_interval_ms() > MAX_POLL_MS) {
            return new RefusedConfiguration(PID, "poll.interval.ms", config.poll_interval_ms(),
                    "from " + MIN_POLL_MS + " to " + MAX_POLL_MS + " ms", now);
        }
        return null;
    }
}
