package io.otaproxy.disk.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of the disk monitor (PID {@code io.otaproxy.disk}). The directory it watches is the cache store's
 * ({@code cache.dir} of {@code io.otaproxy.cache}), read from there so that the two can never disagree.
 */
// designated here: bnd designates only components with a single PID, and this one reads two
@ObjectClassDefinition(id = DiskSettingsCheck.PID, pid = DiskSettingsCheck.PID, name = "ota-proxy: disk monitor",
        description = "Watches the file system that holds the cache (the cache store's directory) against the soft"
                + " and hard limits. Normally written from proxy_info.yml; a value set here wins over the file.")
@interface DiskMonitorConfig {

    @AttributeDefinition(name = "Soft limit (%)", min = "1", max = "100",
            description = "Above this share of the file system in use, the cache evicts its least valuable entries"
                    + " (least recently used by default) until use is back a little below the limit. 1-100, at"
                    + " most the hard limit.")
    int soft_limit_percent() default 70;

    @AttributeDefinition(name = "Hard limit (%)", min = "1", max = "100",
            description = "Above this share in use, nothing new is cached and the proxy only relays. 1-100.")
    int hard_limit_percent() default 80;

    @AttributeDefinition(name = "Cache size cap (bytes)", min = "0",
            description = "Evict when the cache itself (entries and downloads in flight) holds more than this,"
                    + " down to a little under it; 0 for no cap.")
    long cache_max_bytes() default 0L;

    @AttributeDefinition(name = "Poll interval (ms)", min = "10", max = "3600000",
            description = "How often the file system is measured: 10 ms to an hour.")
    long poll_interval_ms() default 2000L;
}
