package io.otaproxy.cache.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import java.lang.annotation.Annotation;

import org.junit.Test;

public final class CacheSettingsCheckTest {

    private static CacheStoreConfig config(final String dir, final String... external) {
        return config(16L << 20, dir, external);
    }

    private static CacheStoreConfig config(final long relayMemory, final String dir, final String... external) {
        return new CacheStoreConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return CacheStoreConfig.class;
            }

            @Override
            public String cache_dir() {
                return dir;
            }

            @Override
            public boolean enable_cache() {
                return true;
            }

            @Override
            public String init_cache_id() {
                return "";
            }

            @Override
            public String[] external_cache_dirs() {
                return external;
            }

            @Override
            public boolean fill_always_finish() {
                return false;
            }

            @Override
            public String eviction_policy() {
                return "lru";
            }

            @Override
            public long relay_memory_bytes() {
                return relayMemory;
            }
        };
    }

    @Test
    public void aDirectoryIsNeeded() {
        assertNull(CacheSettingsCheck.problem(config("/var/cache/ota", "/media/usb"), 1));
        assertEquals("cache.dir", CacheSettingsCheck.problem(config(" "), 1).key());
        assertEquals("cache.dir", CacheSettingsCheck.problem(config("bad\0name"), 1).key());
        assertEquals("external.cache.dirs", CacheSettingsCheck.problem(config("/c", "/ok", ""), 1).key());
        assertEquals("relay.memory.bytes", CacheSettingsCheck.problem(config(4096, "/c"), 1).key());
        assertEquals("[/ok, ]", CacheSettingsCheck.problem(config("/c", "/ok", ""), 1).value());
    }
}
