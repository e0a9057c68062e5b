package io.otaproxy.disk.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import io.otaproxy.api.config.RefusedConfiguration;
import io.otaproxy.api.space.CacheUsage;
import io.otaproxy.api.space.DiskMonitor;
import io.otaproxy.api.space.SpaceState;
import io.otaproxy.api.space.SpaceZone;
import io.otaproxy.support.internal.Refusals;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures the file system holding the cache directory every poll interval and keeps the latest
 * {@link SpaceState}. It never stops on an error: a vanished cache directory is recreated, a failed measurement
 * is logged once and counts as "above hard" (write nothing) until a measurement succeeds again.
 *
 * <p>The cache's own size comes from the cache store's {@link CacheUsage}, which knows it exactly from its index;
 * this monitor never walks the cache tree (600 000 files every two seconds would cost more than the figure is
 * worth). While no store offers its size, the cache counts as 0 bytes: without a store nothing is written to the
 * cache and nothing could be evicted, so the cap has no one to act on it; the file system limits still apply.
 *
 * <p>The component registers its {@link DiskMonitor} service itself, once it has a first measurement, so
 * {@link #current} is never null for a consumer. With an invalid first configuration it stays active, measures
 * nothing and offers no service; the first valid configuration starts it. (Failing the activation instead left a
 * registered service whose activation had failed: a consumer that had asked for it then was not offered it again
 * after the valid edit, and the status showed no disk figures. `RefusedFirstDiskConfigurationIT` saw it.)
 */
@Component(name = DiskSettingsCheck.PID, service = {}, immediate = true,
        configurationPid = {DiskSettingsCheck.CACHE_PID, DiskSettingsCheck.PID}, configurationPolicy = ConfigurationPolicy.REQUIRE)
public final class FileSystemDiskMonitor implements DiskMonitor {

    private static final Logger LOG = LoggerFactory.getLogger(FileSystemDiskMonitor.class);

    private final FileSystemProbe probe;
    private final LongSupplier clock;
    private ScheduledExecutorService scheduler;
    private ScheduledFuture<?> poll;
    private BundleContext context; // null in unit tests: nothing is registered
    private ServiceRegistration<DiskMonitor> registration; // guarded by this
    private volatile Path cacheDir;
    private volatile SpaceLimits limits;
    private volatile long pollMillis;
    private volatile SpaceState state;
    private volatile boolean failing;
    private volatile CacheUsage cacheUsage;
    private volatile boolean usageFailing;

    public FileSystemDiskMonitor() {
        this(FileSystemProbe.REAL, System::currentTimeMillis);
    }

    FileSystemDiskMonitor(final FileSystemProbe probe, final LongSupplier clock) {
        this.probe = probe;
        this.clock = clock;
    }

    /** The one property of the cache store's configuration the monitor reads: the directory it watches. */
    @interface CacheDirectory {
        String cache_dir() default "ota-cache";
    }

    /**
     * Starts measuring and offers the service, or, when the first configuration is invalid, stays active and idle
     * with the refusal reported; the first valid configuration then starts it through {@link #modified}.
     *
     * @param bundleContext where to register the service; null to register nothing (unit tests)
     */
    @Activate
    void activate(final BundleContext bundleContext, final DiskMonitorConfig config, final CacheDirectory cache) {
        context = bundleContext;
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread t = new Thread(r, "ota-proxy-disk-monitor");
            t.setDaemon(true);
            return t;
        });
        final RefusedConfiguration problem = DiskSettingsCheck.problem(config, cache.cache_dir(), clock.getAsLong());
        if (problem != null) {
            Refusals.refused(problem, "the disk monitor measures nothing until a valid configuration arrives");
            return;
        }
        Refusals.accepted(DiskSettingsCheck.PID);
        LOG.info("Activating disk monitor for {}: soft {} %, hard {} %, cap {} bytes, every {} ms",
                cache.cache_dir(), config.soft_limit_percent(), config.hard_limit_percent(),
                config.cache_max_bytes(), config.poll_interval_ms());
        apply(config, cache.cache_dir());
        offer();
    }

    /** Registers the service, after the first measurement, once. */
    private synchronized void offer() {
        if (context != null && registration == null) {
            registration = context.registerService(DiskMonitor.class, this, null);
        }
    }

    @Modified
    void modified(final DiskMonitorConfig config, final CacheDirectory cache) {
        final RefusedConfiguration problem = DiskSettingsCheck.problem(config, cache.cache_dir(), clock.getAsLong());
        final SpaceLimits kept = limits;
        if (problem != null) {
            Refusals.refused(problem, kept == null ? "the disk monitor measures nothing until a valid configuration"
                    + " arrives" : "keeping " + cacheDir + " with soft " + kept.softPercent() + " %, hard "
                    + kept.hardPercent() + " %, cap " + kept.cacheMaxBytes() + " bytes");
            return;
        }
        Refusals.accepted(DiskSettingsCheck.PID);
        final Path dir = Path.of(cache.cache_dir()).toAbsolutePath().normalize();
        final SpaceLimits next = SpaceLimits.from(config);
        if (dir.equals(cacheDir) && next.equals(limits) && config.poll_interval_ms() == pollMillis) {
            return; // a change of the cache store's other properties
        }
        LOG.info("{} disk monitor for {}: soft {} %, hard {} %, cap {} bytes, every {} ms",
                kept == null ? "Starting" : "Modifying", cache.cache_dir(), config.soft_limit_percent(),
                config.hard_limit_percent(), config.cache_max_bytes(), config.poll_interval_ms());
        apply(config, cache.cache_dir());
        offer();
    }

    @Deactivate
    void deactivate() {
        LOG.info("Deactivating disk monitor");
        synchronized (this) {
            if (registration != null) {
                registration.unregister();
                registration = null;
            }
        }
        scheduler.shutdownNow();
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindCacheUsage(final CacheUsage usage) {
        cacheUsage = usage;
        LOG.debug("Cache size now reported by {}", usage);
    }

    void unbindCacheUsage(final CacheUsage usage) {
        if (cacheUsage == usage) {
            cacheUsage = null;
        }
    }

    private synchronized void apply(final DiskMonitorConfig config, final String dir) {
        cacheDir = Path.of(dir).toAbsolutePath().normalize();
        limits = SpaceLimits.from(config);
        pollMillis = config.poll_interval_ms();
        measure(); // the new limits hold from now on, not from the next tick
        if (poll != null) {
            poll.cancel(false);
        }
        final long interval = config.poll_interval_ms();
        poll = scheduler.scheduleWithFixedDelay(this::measure, interval, interval, TimeUnit.MILLISECONDS);
    }

    /** The cache's size from its store, or 0 without one; a failing store must not stop the measurement. */
    private long cacheBytes() {
        final CacheUsage usage = cacheUsage;
        if (usage == null) {
            return 0;
        }
        try {
            final long bytes = Math.max(0, usage.usedBytes());
            usageFailing = false;
            return bytes;
        } catch (final RuntimeException e) {
            if (!usageFailing) {
                usageFailing = true;
                LOG.warn("The cache store cannot report its size ({}); counting the cache as 0 bytes", e.toString());
            }
            return 0;
        }
    }

    @Override
    public SpaceState current() {
        return state;
    }

    /**
     * Takes one measurement; package-visible so tests can drive it without waiting for the scheduler. Serialized,
     * so a measurement started before a limit change can never overwrite the one taken with the new limits.
     */
    synchronized void measure() {
        final Path dir = cacheDir;
        final SpaceLimits l = limits;
        SpaceState next;
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir);
                LOG.warn("Cache directory {} was missing; created it again", dir);
            }
            final long[] fs = probe.fileSystem(dir);
            final long cacheBytes = cacheBytes();
            next = new SpaceState(l.zoneOf(fs[0], fs[1], cacheBytes), fs[0], fs[1], cacheBytes, l.softPercent(),
                    l.hardPercent(), l.cacheMaxBytes(), clock.getAsLong());
            if (failing) {
                failing = false;
                LOG.info("Disk measurement of {} works again", dir);
            }
        } catch (final IOException | RuntimeException e) {
            if (!failing) {
                failing = true;
                LOG.error("Cannot measure {}: {}; caching stops until it can", dir, e.toString());
            }
            next = new SpaceState(SpaceZone.ABOVE_HARD, 0, 0, 0, l.softPercent(), l.hardPercent(),
                    l.cacheMaxBytes(), clock.getAsLong());
        }
        final SpaceState previous = state;
        state = next;
        if (previous == null || previous.zone() != next.zone()) {
            LOG.info("Disk space: {}", next);
        }
    }
}
