package io.otaproxy.disk.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import io.otaproxy.api.space.DiskMonitor;
import io.otaproxy.api.space.SpaceState;
import io.otaproxy.api.space.SpaceZone;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures the file system holding the cache directory every poll interval and keeps the latest
 * {@link SpaceState}. It never stops on an error: a vanished cache directory is recreated, a failed measurement
 * is logged once and counts as "above hard" (write nothing) until a measurement succeeds again.
 */
@Component(service = DiskMonitor.class, configurationPid = "io.otaproxy.disk",
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = DiskMonitorConfig.class)
public final class FileSystemDiskMonitor implements DiskMonitor {

    private static final Logger LOG = LoggerFactory.getLogger(FileSystemDiskMonitor.class);

    private final FileSystemProbe probe;
    private final LongSupplier clock;
    private ScheduledExecutorService scheduler;
    private ScheduledFuture<?> poll;
    private volatile Path cacheDir;
    private volatile SpaceLimits limits;
    private volatile SpaceState state;
    private volatile boolean failing;

    public FileSystemDiskMonitor() {
        this(FileSystemProbe.REAL, System::currentTimeMillis);
    }

    FileSystemDiskMonitor(final FileSystemProbe probe, final LongSupplier clock) {
        this.probe = probe;
        this.clock = clock;
    }

    @Activate
    void activate(final DiskMonitorConfig config) {
        LOG.info("Activating disk monitor for {}: soft {} %, hard {} %, cap {} bytes, every {} ms",
                config.cache_dir(), config.soft_limit_percent(), config.hard_limit_percent(),
                config.cache_max_bytes(), config.poll_interval_ms());
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread t = new Thread(r, "ota-proxy-disk-monitor");
            t.setDaemon(true);
            return t;
        });
        apply(config);
    }

    @Modified
    void modified(final DiskMonitorConfig config) {
        LOG.info("Modifying disk monitor for {}: soft {} %, hard {} %, cap {} bytes, every {} ms",
                config.cache_dir(), config.soft_limit_percent(), config.hard_limit_percent(),
                config.cache_max_bytes(), config.poll_interval_ms());
        apply(config);
    }

    @Deactivate
    void deactivate() {
        LOG.info("Deactivating disk monitor");
        scheduler.shutdownNow();
    }

    private synchronized void apply(final DiskMonitorConfig config) {
        cacheDir = Path.of(config.cache_dir()).toAbsolutePath().normalize();
        limits = SpaceLimits.from(config);
        measure(); // the new limits hold from now on, not from the next tick
        if (poll != null) {
            poll.cancel(false);
        }
        final long interval = Math.max(10, config.poll_interval_ms());
        poll = scheduler.scheduleWithFixedDelay(this::measure, interval, interval, TimeUnit.MILLISECONDS);
    }

    @Override
    public SpaceState current() {
        return state;
    }

    /** Takes one measurement; package-visible so tests can drive it without waiting for the scheduler. */
    void measure() {
        final Path dir = cacheDir;
        final SpaceLimits l = limits;
        SpaceState next;
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir);
                LOG.warn("Cache directory {} was missing; created it again", dir);
            }
            final long[] fs = probe.fileSystem(dir);
            final long cacheBytes = probe.treeSize(dir);
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
