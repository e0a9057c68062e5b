package io.otaproxy.cache.internal;

import java.nio.file.Path;

/**
 * The configuration as the component acts on it: an immutable value compared on every change, so that only a
 * change of directory, enablement or wipe id re-opens the store, and anything else is applied in place.
 */
record StoreOptions(Path directory, boolean enabled, String wipeId, boolean alwaysFinish,
        ExternalCaches external, String evictionPolicy, long relayMemoryBytes) {

    /** The least relay memory: one window's worth of a few chunks. */
    static final long MIN_RELAY_MEMORY_BYTES = 1L << 20;

    /** The policy used when the configuration names none. */
    static final String DEFAULT_POLICY = "lru";

    static StoreOptions of(final CacheStoreConfig config) {
        final String wipeId = config.init_cache_id() == null ? "" : config.init_cache_id().trim();
        final String policy = config.eviction_policy() == null ? "" : config.eviction_policy().trim();
        return new StoreOptions(Path.of(config.cache_dir()).toAbsolutePath().normalize(), config.enable_cache(),
                wipeId, config.fill_always_finish(), ExternalCaches.of(config.external_cache_dirs()),
                policy.isEmpty() ? DEFAULT_POLICY : policy,
                config.relay_memory_bytes());
    }

    /** Whether going from {@code this} to {@code next} needs the store closed and opened again. */
    boolean needsReopen(final StoreOptions next) {
        return !directory.equals(next.directory) || enabled != next.enabled || !wipeId.equals(next.wipeId);
    }
}
