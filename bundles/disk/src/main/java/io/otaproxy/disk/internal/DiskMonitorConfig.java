package io.otaproxy.disk.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the disk monitor (PID {@code io.otaproxy.disk}), written by the configuration bundle. */
@ObjectClassDefinition(name = "ota-proxy: disk monitor",
        description = "Watches the file system that holds the cache against the soft and hard limits.")
@interface DiskMonitorConfig {

    @AttributeDefinition(name = "Cache directory", description = "The directory whose file system is watched.")
    String cache_dir() default "ota-cache";

    @AttributeDefinition(name = "Soft limit (%)",
            description = "Above this share of the file system in use, the cache evicts its least valuable entries"
                    + " (least recently used by default) until use is back a little below the limit.")
    int soft_limit_percent() default 70;

    @AttributeDefinition(name = "Hard limit (%)",
            description = "Above this share in use, nothing new is cached and the proxy only relays.")
    int hard_limit_percent() default 80;

    @AttributeDefinition(name = "Cache size cap (bytes)",
            description = "Evict when the cache itself (entries and downloads in flight) holds more than this,"
                    + " down to a little under it; 0 for no cap.")
    long cache_max_bytes() default 0L;

    @AttributeDefinition(name = "Poll interval (ms)", description = "How often the file system is measured.")
    long poll_interval_ms() default 2000L;
}
