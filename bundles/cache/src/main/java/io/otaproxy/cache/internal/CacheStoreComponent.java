package io.otaproxy.cache.internal;

import java.io.IOException;
import java.nio.file.Path;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Owns the cache directory: prepares it at activation (create, init_cache wipe) and on a change of directory. */
@Component(configurationPid = "io.otaproxy.cache", configurationPolicy = ConfigurationPolicy.REQUIRE,
        immediate = true, service = {})
@Designate(ocd = CacheStoreConfig.class)
public final class CacheStoreComponent {

    private static final Logger LOG = LoggerFactory.getLogger(CacheStoreComponent.class);

    private volatile CacheDirectory directory;

    @Activate
    void activate(final CacheStoreConfig config) {
        LOG.info("Activating cache store in {} (cache {})", config.cache_dir(),
                config.enable_cache() ? "enabled" : "disabled");
        prepare(config);
    }

    @Modified
    void modified(final CacheStoreConfig config) {
        final CacheDirectory current = directory;
        if (current == null || !current.root().equals(Path.of(config.cache_dir()).toAbsolutePath().normalize())) {
            LOG.info("Modifying cache store: directory {}", config.cache_dir());
            prepare(config);
        }
    }

    @Deactivate
    void deactivate() {
        LOG.info("Deactivating cache store");
    }

    private void prepare(final CacheStoreConfig config) {
        final CacheDirectory dir = new CacheDirectory(Path.of(config.cache_dir()));
        try {
            if (dir.prepare(config.init_cache_id())) {
                LOG.info("Wiped the cache in {} (init_cache)", dir.root());
            }
        } catch (final IOException e) {
            // never fail the proxy because of the cache: it keeps relaying
            LOG.error("Cannot prepare the cache directory {}: {}", dir.root(), e.toString());
        }
        directory = dir;
    }
}
