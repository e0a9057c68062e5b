package io.otaproxy.cache.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Where things live under the cache directory, format version 1: {@code v1/data/<2 hex>/<key>} for entries,
 * {@code v1/tmp/<key>.<random>} for fills in flight, {@code v1/journal} for the index. Another format directory
 * (a later {@code v2}) is never touched, so a downgrade or an upgrade finds its own data intact.
 */
final class StoreLayout {

    static final String FORMAT = "v1";
    static final String TRASH_PREFIX = "trash-";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();

    private final Path base;
    private final Path data;
    private final Path tmp;

    StoreLayout(final Path cacheDir) {
        this.base = cacheDir.toAbsolutePath().normalize().resolve(FORMAT);
        this.data = base.resolve("data");
        this.tmp = base.resolve("tmp");
    }

    Path base() {
        return base;
    }

    Path dataDir() {
        return data;
    }

    Path tmpDir() {
        return tmp;
    }

    Path journal() {
        return base.resolve("journal");
    }

    Path journalTemp() {
        return base.resolve("journal.tmp");
    }

    /** The fan-out directory for keys starting with the two hex digits of {@code prefix}. */
    Path fanOutDir(final int prefix) {
        return data.resolve(HEX.toHexDigits((byte) prefix));
    }

    Path dataFile(final String key) {
        return data.resolve(key.substring(0, 2)).resolve(key);
    }

    /** A fresh temp file name; the random part keeps a late writer of an old fill off a new fill's file. */
    Path newTempFile(final String key) {
        final byte[] nonce = new byte[8];
        RANDOM.nextBytes(nonce);
        return tmp.resolve(key + "." + HEX.formatHex(nonce));
    }

    Path newTrashDir() {
        return base.resolve(TRASH_PREFIX + System.currentTimeMillis() + "-" + HEX.toHexDigits((byte) RANDOM.nextInt()));
    }

    /**
     * Makes the directory entries of {@code dir} durable, so a renamed file survives a power cut under its new
     * name. Linux allows fsync on a directory opened read-only; platforms that refuse it lose nothing we could
     * have had, so their IOException is ignored.
     */
    static void forceDirectory(final Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (final IOException e) {
            // not supported here (e.g. Windows); the rename itself is still atomic
        }
    }

    /**
     * Whether a file is at {@code path} (the store's paths are on the default file system). On JDK 17,
     * {@code Files.exists} answers "no" by building a {@code NoSuchFileException} with its stack trace; a commit asks
     * this of every new key, where the answer is almost always no (1.4 % of the CPU of a cold S4 pass).
     */
    static boolean exists(final Path path) {
        return path.toFile().exists();
    }

    /** Creates {@code dir} if missing and reports whether it did (then its parent needs a {@link #forceDirectory}). */
    static boolean ensureDirectory(final Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return false;
        }
        Files.createDirectories(dir);
        return true;
    }
}
