package io.otaproxy.cache.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

/** Configuration of the cache store (PID {@code io.otaproxy.cache}), written by the configuration bundle. */
@ObjectClassDefinition(id = "io.otaproxy.cache", name = "ota-proxy: cache store", description = "Where and whether downloads are cached."
        + " The disk monitor watches the file system of this directory. Normally written from proxy_info.yml; a value"
        + " set here wins over the file. An invalid configuration is refused whole.")
@interface CacheStoreConfig {

    @AttributeDefinition(name = "Cache directory",
            description = "Directory of the disk cache; created if missing. Changing it re-opens the cache there.")
    String cache_dir() default "ota-cache";

    @AttributeDefinition(name = "Cache enabled",
            description = "Keep downloads on disk. When off, no cache service is offered and the proxy relays.")
    boolean enable_cache() default true;

    @AttributeDefinition(name = "Wipe id",
            description = "When not empty, the cache is wiped once for this id (the framework launch id when"
                    + " init_cache is set), so a bundle update does not wipe it again.")
    String init_cache_id() default "";

    @AttributeDefinition(name = "External caches",
            description = "Read-only directories searched by file_sha256 after the local cache.")
    String[] external_cache_dirs() default {};

    @AttributeDefinition(name = "Always finish downloads",
            description = "Keep downloading into the cache when every client of a download has hung up. Off: the"
                    + " download stops with its last client, saving bandwidth on a metered link.")
    boolean fill_always_finish() default false;

    @AttributeDefinition(name = "Eviction policy",
            description = "Which installed eviction policy decides what goes when the disk passes the soft limit or"
                    + " the cache its cap: the policy registered with this name (service property 'policy'), such"
                    + " as 'lru' (least recently used, the default) or 'gdsf' (favours small, often-read files)."
                    + " Changed live: the new policy takes over the whole cache without a restart. If it is not"
                    + " installed, another installed policy is used meanwhile.",
            options = {@Option(label = "lru: least recently used", value = "lru"),
                @Option(label = "gdsf: favours small, often-read files", value = "gdsf")})
    String eviction_policy() default "lru";

    @AttributeDefinition(name = "Relay memory (bytes)",
            description = "Heap that downloads which stopped writing to disk (above the hard limit, or after a write"
                    + " failed) may hold for their readers, all together; past it they read upstream no faster than"
                    + " their readers take the bytes. At least 1 MiB.", min = "1048576")
    long relay_memory_bytes() default 16L << 20;
}
