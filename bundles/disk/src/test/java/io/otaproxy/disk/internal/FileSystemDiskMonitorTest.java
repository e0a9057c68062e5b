package io.otaproxy.disk.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import io.otaproxy.api.space.CacheUsage;
import io.otaproxy.api.space.SpaceZone;

import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class FileSystemDiskMonitorTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private FileSystemDiskMonitor monitor;

    @After
    public void stop() {
        if (monitor != null) {
            monitor.deactivate();
        }
    }

    /** A disk of 1000 bytes with a settable amount free, and a switch to make it fail. */
    private static final class FakeDisk implements FileSystemProbe {
        volatile long usable = 500;
        final AtomicBoolean broken = new AtomicBoolean();

        @Override
        public long[] fileSystem(final Path dir) throws IOException {
            if (broken.get()) {
                throw new IOException("injected: device gone");
            }
            return new long[] {1000, usable};
        }
    }

    private static FileSystemDiskMonitor.CacheDirectory cacheDir(final Path dir) {
        return new FileSystemDiskMonitor.CacheDirectory() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return FileSystemDiskMonitor.CacheDirectory.class;
            }

            @Override
            public String cache_dir() {
                return dir.toString();
            }
        };
    }

    private static DiskMonitorConfig config(final Path dir, final int soft, final int hard, final long cap) {
        return config(dir, soft, hard, cap, 60_000); // the test drives measure() itself
    }

    private static DiskMonitorConfig config(final Path dir, final int soft, final int hard, final long cap,
            final long pollMillis) {
        return new DiskMonitorConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return DiskMonitorConfig.class;
            }

            @Override
            public int soft_limit_percent() {
                return soft;
            }

            @Override
            public int hard_limit_percent() {
                return hard;
            }

            @Override
            public long cache_max_bytes() {
                return cap;
            }

            @Override
            public long poll_interval_ms() {
                return pollMillis;
            }
        };
    }

    @Test
    public void measuresAndReactsToLiveLimitChanges() throws Exception {
        final Path dir = tmp.newFolder("cache").toPath();
        final FakeDisk disk = new FakeDisk();
        monitor = new FileSystemDiskMonitor(disk, () -> 42L);
        monitor.bindCacheUsage(() -> 300);
        monitor.activate(null, config(dir, 70, 80, 0), cacheDir(dir));
        assertEquals(SpaceZone.BELOW_SOFT, monitor.current().zone());
        assertEquals(300, monitor.current().cacheBytes());
        assertEquals(50.0, monitor.current().usedPercent(), 0.001);

        monitor.modified(config(dir, 40, 80, 0), cacheDir(dir));
        assertEquals(SpaceZone.ABOVE_SOFT, monitor.current().zone());

        monitor.modified(config(dir, 40, 45, 0), cacheDir(dir));
        assertEquals(SpaceZone.ABOVE_HARD, monitor.current().zone());

        monitor.modified(config(dir, 70, 80, 200), cacheDir(dir));
        assertEquals("cache above its cap", SpaceZone.ABOVE_SOFT, monitor.current().zone());
    }

    @Test
    public void anInvalidConfigurationIsRefusedWholeAndTheLastGoodOneStays() throws Exception {
        final Path dir = tmp.newFolder("cache").toPath();
        monitor = new FileSystemDiskMonitor(new FakeDisk(), () -> 42L);
        monitor.activate(null, config(dir, 70, 80, 0), cacheDir(dir));
        // a negative hard limit would put every measurement above it and stop all caching
        monitor.modified(config(dir, 30, -5, 0), cacheDir(dir));
        assertEquals(SpaceZone.BELOW_SOFT, monitor.current().zone());
        assertEquals(70, monitor.current().softLimitPercent());
        // soft above hard, with a valid other change in the same configuration: nothing of it applies
        monitor.modified(config(dir, 90, 80, 100), cacheDir(dir));
        assertEquals(70, monitor.current().softLimitPercent());
        assertEquals(0, monitor.current().cacheMaxBytes());
        monitor.modified(config(dir, 40, 80, 0), cacheDir(dir));
        assertEquals("a valid one applies again", 40, monitor.current().softLimitPercent());
    }

    @Test
    public void eachCheckNamesItsKey() {
        final Path dir = Path.of("/srv/cache");
        assertEquals("soft.limit.percent", DiskSettingsCheck.problem(config(dir, 0, 80, 0), "d", 1).key());
        assertEquals("hard.limit.percent", DiskSettingsCheck.problem(config(dir, 70, 101, 0), "d", 1).key());
        assertEquals("soft.limit.percent", DiskSettingsCheck.problem(config(dir, 81, 80, 0), "d", 1).key());
        assertEquals("cache.max.bytes", DiskSettingsCheck.problem(config(dir, 70, 80, -1), "d", 1).key());
        assertEquals("poll.interval.ms", DiskSettingsCheck.problem(config(dir, 70, 80, 0, 0), "d", 1).key());
        assertEquals("io.otaproxy.cache", DiskSettingsCheck.problem(config(dir, 70, 80, 0), " ", 1).pid());
        assertEquals(null, DiskSettingsCheck.problem(config(dir, 1, 100, 0, 10), "d", 1));
    }

    @Test
    public void anInvalidFirstConfigurationMeasuresNothingUntilAValidOneArrives() throws Exception {
        final Path dir = tmp.newFolder("cache").toPath();
        monitor = new FileSystemDiskMonitor(new FakeDisk(), () -> 42L);
        monitor.activate(null, config(dir, 70, -5, 0), cacheDir(dir));
        assertNull("nothing measured against a refused limit", monitor.current());
        monitor.modified(config(dir, 70, 101, 0), cacheDir(dir));
        assertNull("another refused one changes nothing", monitor.current());
        monitor.modified(config(dir, 70, 80, 0), cacheDir(dir));
        assertEquals(80, monitor.current().hardLimitPercent());
        assertEquals(SpaceZone.BELOW_SOFT, monitor.current().zone());
    }

    @Test
    public void recreatesARemovedCacheDirectoryAndKeepsMeasuring() throws Exception {
        final Path dir = tmp.newFolder("cache").toPath();
        monitor = new FileSystemDiskMonitor(new FakeDisk(), System::currentTimeMillis);
        monitor.activate(null, config(dir, 70, 80, 0), cacheDir(dir));
        Files.delete(dir);
        monitor.measure();
        assertTrue(Files.isDirectory(dir));
        assertEquals(SpaceZone.BELOW_SOFT, monitor.current().zone());
    }

    @Test
    public void aFailingDiskMeansWriteNothingUntilItRecovers() throws Exception {
        final Path dir = tmp.newFolder("cache").toPath();
        final FakeDisk disk = new FakeDisk();
        monitor = new FileSystemDiskMonitor(disk, System::currentTimeMillis);
        monitor.activate(null, config(dir, 70, 80, 0), cacheDir(dir));
        disk.broken.set(true);
        monitor.measure();
        assertEquals(SpaceZone.ABOVE_HARD, monitor.current().zone());
        disk.broken.set(false);
        monitor.measure();
        assertEquals(SpaceZone.BELOW_SOFT, monitor.current().zone());
    }

    @Test
    public void theCacheSizeComesFromTheStoreNeverFromAWalkOfTheTree() throws Exception {
        final Path dir = tmp.newFolder("cache").toPath();
        Files.write(dir.resolve("entry"), new byte[5000]);
        monitor = new FileSystemDiskMonitor(new FakeDisk(), () -> 42L);
        monitor.activate(null, config(dir, 70, 80, 1000), cacheDir(dir));
        assertEquals("no store, no walk: the files are not counted", 0, monitor.current().cacheBytes());
        assertEquals(SpaceZone.BELOW_SOFT, monitor.current().zone());

        final AtomicLong used = new AtomicLong(999);
        final CacheUsage store = used::get;
        monitor.bindCacheUsage(store);
        monitor.measure();
        assertEquals(999, monitor.current().cacheBytes());
        assertEquals(SpaceZone.BELOW_SOFT, monitor.current().zone());

        used.set(1001);
        monitor.measure();
        assertEquals("the cap counts as above soft", SpaceZone.ABOVE_SOFT, monitor.current().zone());
        assertEquals(1001, monitor.current().cacheBytes());
        assertEquals(1000, monitor.current().cacheMaxBytes());

        // a greedy rebind: the new store is bound before the old one goes
        final CacheUsage next = () -> 10;
        monitor.bindCacheUsage(next);
        monitor.unbindCacheUsage(store);
        monitor.measure();
        assertEquals(10, monitor.current().cacheBytes());
        monitor.unbindCacheUsage(next);
        monitor.measure();
        assertEquals(0, monitor.current().cacheBytes());
        assertEquals(SpaceZone.BELOW_SOFT, monitor.current().zone());
    }

    @Test
    public void aFailingStoreDoesNotStopCachingOrTheMonitor() throws Exception {
        final Path dir = tmp.newFolder("cache").toPath();
        monitor = new FileSystemDiskMonitor(new FakeDisk(), () -> 42L);
        monitor.bindCacheUsage(() -> {
            throw new IllegalStateException("store closing");
        });
        monitor.activate(null, config(dir, 70, 80, 100), cacheDir(dir));
        assertEquals(SpaceZone.BELOW_SOFT, monitor.current().zone());
        assertEquals(0, monitor.current().cacheBytes());
    }

    @Test
    public void theFileSystemLimitsHoldWithTheCacheUnderItsCap() throws Exception {
        final Path dir = tmp.newFolder("cache").toPath();
        final FakeDisk disk = new FakeDisk();
        monitor = new FileSystemDiskMonitor(disk, () -> 42L);
        monitor.bindCacheUsage(() -> 10);
        monitor.activate(null, config(dir, 70, 80, 1000), cacheDir(dir));
        disk.usable = 250; // 75 % used
        monitor.measure();
        assertEquals(SpaceZone.ABOVE_SOFT, monitor.current().zone());
        disk.usable = 150; // 85 % used
        monitor.measure();
        assertEquals(SpaceZone.ABOVE_HARD, monitor.current().zone());
        disk.usable = 500;
        monitor.measure();
        assertEquals("space came back", SpaceZone.BELOW_SOFT, monitor.current().zone());
    }

    @Test
    public void thePollingThreadSurvivesTheCacheDirectoryVanishingAgainAndAgain() throws Exception {
        final Path dir = tmp.newFolder("cache").toPath();
        final FakeDisk disk = new FakeDisk();
        final AtomicLong clock = new AtomicLong();
        monitor = new FileSystemDiskMonitor(disk, clock::incrementAndGet);
        monitor.activate(null, config(dir, 70, 80, 0, 10), cacheDir(dir));
        for (int i = 0; i < 3; i++) {
            Files.delete(dir);
            awaitTrue("the poller recreates the directory", () -> Files.isDirectory(dir));
        }
        disk.broken.set(true);
        awaitTrue("a failing disk reads as above hard", () -> monitor.current().zone() == SpaceZone.ABOVE_HARD);
        disk.broken.set(false);
        Files.delete(dir);
        awaitTrue("the poller goes on after failures",
                () -> Files.isDirectory(dir) && monitor.current().zone() == SpaceZone.BELOW_SOFT);
        final long seen = monitor.current().measuredAtMillis();
        awaitTrue("and keeps measuring", () -> monitor.current().measuredAtMillis() > seen);
    }

    private static void awaitTrue(final String what, final BooleanSupplier condition) throws InterruptedException {
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting until " + what);
            }
            Thread.sleep(5);
        }
    }
}
