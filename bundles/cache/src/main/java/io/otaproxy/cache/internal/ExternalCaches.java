package io.otaproxy.cache.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

import io.otaproxy.api.cache.CacheEntry;
import io.otaproxy.api.cache.EntryMeta;

/**
 * Read-only caches prepared outside the proxy (a USB stick, an NFS share), laid out as {@code <dir>/data/<sha256>}
 * and {@code <dir>/data/<sha256>.zst}. They are never written, and trusted as the OTA tooling wrote them: a
 * {@code .zst} file cannot be checked against the sha256 of the uncompressed file without decompressing it. The
 * plain file is preferred when both exist, so clients that cannot decompress are served too.
 */
final class ExternalCaches {

    static final String DATA = "data";
    static final String ZSTD_SUFFIX = ".zst";
    static final String ZSTD = "zst";

    private final List<Path> dirs;

    ExternalCaches(final List<Path> dirs) {
        this.dirs = List.copyOf(dirs);
    }

    static ExternalCaches of(final String[] dirs) {
        return new ExternalCaches(java.util.Arrays.stream(dirs == null ? new String[0] : dirs)
                .filter(d -> d != null && !d.isBlank()).map(d -> Path.of(d).toAbsolutePath().normalize()).toList());
    }

    boolean isEmpty() {
        return dirs.isEmpty();
    }

    /** The first external copy of the file, or null; {@code sha256} must already be a valid key. */
    CacheEntry find(final String sha256) {
        for (final Path dir : dirs) {
            final Path data = dir.resolve(DATA);
            final CacheEntry plain = entry(sha256, data.resolve(sha256), null);
            if (plain != null) {
                return plain;
            }
            final CacheEntry zstd = entry(sha256, data.resolve(sha256 + ZSTD_SUFFIX), ZSTD);
            if (zstd != null) {
                return zstd;
            }
        }
        return null;
    }

    private static CacheEntry entry(final String sha256, final Path file, final String compression) {
        final BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (final IOException e) {
            return null; // absent, or the medium is gone
        }
        if (!attrs.isRegularFile()) {
            return null;
        }
        final EntryMeta meta = new EntryMeta(attrs.size(), null, null, sha256, compression);
        return new CacheEntry() {
            @Override
            public String key() {
                return sha256;
            }

            @Override
            public EntryMeta meta() {
                return meta;
            }

            @Override
            public FileChannel open() throws IOException {
                return FileChannel.open(file, StandardOpenOption.READ);
            }
        };
    }
}
