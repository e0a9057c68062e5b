package io.otaproxy.cache.internal;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;

import io.otaproxy.api.config.RefusedConfiguration;
import io.otaproxy.support.internal.Refusals;

/** The checks a cache store configuration must pass before it replaces the one in force, whoever wrote it. */
final class CacheSettingsCheck {

    static final String PID = "io.otaproxy.cache";

    private CacheSettingsCheck() {
    }

    /** The first problem of the configuration, or null when it is valid. */
    static RefusedConfiguration problem(final CacheStoreConfig config, final long now) {
        if (!isPath(config.cache_dir())) {
            return new RefusedConfiguration(PID, "cache.dir", config.cache_dir(), "a directory path", now);
        }
        final String[] external = config.external_cache_dirs() == null ? new String[0] : config.external_cache_dirs();
        for (final String dir : external) {
            if (!isPath(dir)) {
                return new RefusedConfiguration(PID, "external.cache.dirs", external,
                        "each entry a directory path", now);
            }
        }
        if (config.relay_memory_bytes() < StoreOptions.MIN_RELAY_MEMORY_BYTES) {
            return new RefusedConfiguration(PID, "relay.memory.bytes", config.relay_memory_bytes(),
                    "at least " + StoreOptions.MIN_RELAY_MEMORY_BYTES + " bytes", now);
        }
        return null;
    }

    private static boolean isPath(final String text) {
        if (text == null || text.isBlank()) {
            return false;
        }
        try {
            Path.of(text.trim());
            return true;
        } catch (final InvalidPathException e) {
            return false;
        }
    }

    /** Whether the configuration may be applied; a refusal is logged and shown by the admin endpoint. */
    static boolean acceptable(final CacheStoreConfig config, final String keeping) {
        final RefusedConfiguration refusal = problem(config, System.currentTimeMillis());
        if (refusal == null) {
            Refusals.accepted(PID);
            return true;
        }
        Refusals.refused(refusal, keeping);
        return false;
    }
}
