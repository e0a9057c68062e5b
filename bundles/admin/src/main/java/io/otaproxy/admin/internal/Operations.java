package io.otaproxy.admin.internal;

import java.util.List;

import io.otaproxy.api.cache.CacheMaintenance;
import io.otaproxy.api.config.RefusedConfiguration;
import io.otaproxy.api.space.DiskMonitor;
import io.otaproxy.api.stats.CacheStatistics;
import io.otaproxy.api.stats.ProxyStatistics;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the admin endpoint and the shell commands work on: a status snapshot from whichever services are present,
 * and the purge and evict actions, refused unless the configuration allows them. Every service is optional and
 * dynamic: the admin endpoint keeps answering while the proxy or the cache restarts.
 */
@Component(name = "io.otaproxy.admin", service = Operations.class, configurationPid = "io.otaproxy.admin",
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = AdminConfig.class)
public final class Operations {

    private static final Logger LOG = LoggerFactory.getLogger(Operations.class);

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile ProxyStatistics proxy;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile CacheStatistics cache;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile CacheMaintenance maintenance;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile DiskMonitor disk;

    /** Configurations the components refused and that still stand; whatever bundle refused them. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile List<RefusedConfiguration> refused;

    private volatile boolean destructiveAllowed;
    private volatile String dataDir;

    @Activate
    void activate(final AdminConfig config, final org.osgi.framework.BundleContext context) {
        dataDir = context.getProperty(RefusedUpdates.DATA_DIR);
        destructiveAllowed = config.allow_destructive();
        LOG.info("Activating admin operations: purge and evict {}", destructiveAllowed ? "allowed" : "disabled");
    }

    @Modified
    void modified(final AdminConfig config) {
        final boolean next = config.allow_destructive();
        if (next != destructiveAllowed) {
            LOG.info("Modifying admin operations: purge and evict {}", next ? "allowed" : "disabled");
        }
        destructiveAllowed = next;
    }

    StatusReport status() {
        final DiskMonitor monitor = disk;
        return StatusReport.take(System.currentTimeMillis(), proxy, cache, monitor == null ? null : monitor.current(),
                destructiveAllowed, refused == null ? List.of() : refused, RefusedUpdates.in(dataDir));
    }

    boolean destructiveAllowed() {
        return destructiveAllowed;
    }

    /** Purges one entry by its cache key, or every entry for {@code all}. */
    ActionResult purge(final String what) {
        if (!destructiveAllowed) {
            return ActionResult.refused();
        }
        if (what == null || what.isBlank()) {
            return new ActionResult(400, "say what to purge: a cache key (64 hex digits) or all", 0);
        }
        final CacheMaintenance m = maintenance;
        if (m == null) {
            return ActionResult.noCache();
        }
        final String arg = what.trim();
        if (arg.equals("all")) {
            final int removed = m.purgeAll();
            return new ActionResult(200, "purged " + removed + " entries; downloads in flight go on", removed);
        }
        try {
            final boolean removed = m.purge(arg);
            return new ActionResult(200, removed ? "purged " + arg : "no cache entry " + arg, removed ? 1 : 0);
        } catch (final IllegalArgumentException e) {
            return new ActionResult(400, e.getMessage(), 0);
        }
    }

    /** Runs an eviction check now. */
    ActionResult evict() {
        if (!destructiveAllowed) {
            return ActionResult.refused();
        }
        final CacheMaintenance m = maintenance;
        if (m == null) {
            return ActionResult.noCache();
        }
        final long freed = m.evictNow();
        return new ActionResult(200, freed == 0 ? "space is not short: nothing evicted"
                : "evicted " + freed + " bytes", freed);
    }
}
