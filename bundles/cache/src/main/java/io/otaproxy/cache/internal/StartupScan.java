package io.otaproxy.cache.internal;

import java.io.File;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The part of start-up that runs while the store already serves: delete old trash, list the data directories
 * once to delete files no entry owns (a crash between rename and journal record, or a cache that lost its
 * journal), and stat every entry's file once, dropping those missing or not of the recorded size. Stops early
 * when the store closes; the next start-up does it again.
 */
final class StartupScan implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(StartupScan.class);

    private final EntryIndex index;
    private final StoreLayout layout;
    private final StoreRecovery.Result recovery;
    private final BooleanSupplier stopping;
    private final CountDownLatch done = new CountDownLatch(1);

    StartupScan(final EntryIndex index, final StoreLayout layout, final StoreRecovery.Result recovery,
            final BooleanSupplier stopping) {
        this.index = index;
        this.layout = layout;
        this.recovery = recovery;
        this.stopping = stopping;
    }

    CountDownLatch done() {
        return done;
    }

    @Override
    public void run() {
        try {
            scan();
        } catch (final IOException | RuntimeException e) {
            LOG.warn("Cache start-up scan stopped: {}", e.toString());
        } finally {
            done.countDown();
        }
    }

    private void scan() throws IOException {
        final long t0 = System.nanoTime();
        for (final Path trash : recovery.trash()) {
            deleteTreeQuietly(trash);
        }
        int orphans = 0;
        for (final String prefix : names(layout.dataDir())) {
            final Path dir = layout.dataDir().resolve(prefix);
            if (prefix.length() != 2 || !KeyFormat.isLowerHex(prefix) || !Files.isDirectory(dir)) {
                orphans += deleteTreeQuietly(dir) ? 1 : 0;
                continue;
            }
            // names only (no Path, no stat per file): this loop sees every file of the cache
            for (final String name : names(dir)) {
                if (stopping.getAsBoolean()) {
                    return;
                }
                if (index.get(name) == null && index.deleteOrphan(dir.resolve(name))) {
                    orphans++;
                }
            }
        }
        int checked = 0;
        int dropped = 0;
        for (final StoredEntry e : index.entries()) {
            if (stopping.getAsBoolean()) {
                return;
            }
            checked++;
            final String problem = sizeProblem(e);
            if (problem != null && index.drop(e, problem)) {
                dropped++;
            }
        }
        LOG.info("Cache start-up scan done in {} ms: {} entries checked, {} dropped, {} orphan files deleted",
                (System.nanoTime() - t0) / 1_000_000, checked, dropped, orphans);
    }

    private String sizeProblem(final StoredEntry e) {
        try {
            final long size = Files.size(index.dataFile(e.key()));
            return size == e.meta().length() ? null
                    : "data file holds " + size + " bytes, expected " + e.meta().length();
        } catch (final NoSuchFileException ex) {
            return "data file missing";
        } catch (final IOException ex) {
            return "data file unreadable: " + ex; // when in doubt, drop
        }
    }

    private static String[] names(final Path dir) throws IOException {
        final String[] names = new File(dir.toString()).list();
        if (names == null) {
            throw new IOException("Cannot list " + dir);
        }
        return names;
    }

    static boolean deleteTreeQuietly(final Path path) {
        try {
            deleteTree(path);
            return true;
        } catch (final IOException e) {
            LOG.debug("Cannot delete {}: {}", path, e.toString());
            return false;
        }
    }

    static void deleteTree(final Path path) throws IOException {
        if (!Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
            Files.deleteIfExists(path);
            return;
        }
        Files.walkFileTree(path, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(final Path file, final BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(final Path dir, final IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
