package io.otaproxy.disk.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

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

        @Override
        public long treeSize(final Path dir) throws IOException {
            return FileSystemProbe.REAL.treeSize(dir);
        }
    }

    private static DiskMonitorConfig config(final Path dir, final int soft, final int hard, final long cap) {
        return new DiskMonitorConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return DiskMonitorConfig.class;
            }

            @Override
            public String cache_dir() {
                return dir.toString();
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
                return 60_000; // the test drives measure() itself
            }
        };
    }

    @Test
    public void measuresAndReactsToLiveLimitChanges() throws Exception {
        final Path dir = tmp.newFolder("cache").toPath();
        Files.write(dir.resolve("entry"), new byte[300]);
        final FakeDisk disk = new FakeDisk();
        monitor = new FileSystemDiskMonitor(disk, () -> 42L);
        monitor.activate(config(dir, 70, 80, 0));
        assertEquals(SpaceZone.BELOW_SOFT, monitor.current().zone());
        assertEquals(300, monitor.current().cacheBytes());
        assertEquals(50.0, monitor.current().usedPercent(), 0.001);

        monitor.modified(config(dir, 40, 80, 0));
        assertEquals(SpaceZone.ABOVE_SOFT, monitor.current().zone());

        monitor.modified(config(dir, 40, 45, 0));
        assertEquals(SpaceZone.ABOVE_HARD, monitor.current().zone());

        monitor.modified(config(dir, 70, 80, 200));
        assertEquals("cache above its cap", SpaceZone.ABOVE_SOFT, monitor.current().zone());
    }

    @Test
    public void recreatesARemovedCacheDirectoryAndKeepsMeasuring() throws Exception {
        final Path dir = tmp.newFolder("cache").toPath();
        monitor = new FileSystemDiskMonitor(new FakeDisk(), System::currentTimeMillis);
        monitor.activate(config(dir, 70, 80, 0));
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
        monitor.activate(config(dir, 70, 80, 0));
        disk.broken.set(true);
        monitor.measure();
        assertEquals(SpaceZone.ABOVE_HARD, monitor.current().zone());
        disk.broken.set(false);
        monitor.measure();
        assertEquals(SpaceZone.BELOW_SOFT, monitor.current().zone());
    }
}
