package io.otaproxy.cache.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The cache directory on disk: creates it and performs the {@code init_cache} wipe. The wipe happens once per
 * wipe id, remembered in a marker file, so that restarting or updating the cache bundle in the same launch keeps
 * what was cached since the launch.
 */
final class CacheDirectory {

    static final String WIPE_MARKER = ".wiped-for";

    private final Path root;

    CacheDirectory(final Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    Path root() {
        return root;
    }

    /**
     * Creates the directory and wipes its content if {@code wipeId} is set and differs from the last wipe's.
     *
     * @return whether a wipe happened
     */
    boolean prepare(final String wipeId) throws IOException {
        Files.createDirectories(root);
        if (wipeId == null || wipeId.isEmpty() || wipeId.equals(lastWipeId())) {
            return false;
        }
        clear();
        // written through a temp file and a rename, so a power cut leaves either no marker or a whole one
        final Path tmp = root.resolve(WIPE_MARKER + ".tmp");
        Files.write(tmp, wipeId.getBytes(StandardCharsets.UTF_8));
        Files.move(tmp, root.resolve(WIPE_MARKER), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
        return true;
    }

    private String lastWipeId() throws IOException {
        try {
            return Files.readString(root.resolve(WIPE_MARKER), StandardCharsets.UTF_8).trim();
        } catch (final NoSuchFileException e) {
            return null;
        }
    }

    /** Removes everything below the root, keeping the root itself (it may be a mount point). */
    private void clear() throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(final Path file, final BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(final Path dir, final IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                if (!dir.equals(root)) {
                    Files.delete(dir);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
