package io.otaproxy.cache.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The temp file of one fill: where its body is written, where new readers open it (the temp file, then the data
 * file once renamed into place), its share of the store's temp bytes, and its deletion, which happens once. Not
 * thread-safe: the fill's lock guards it, except {@link #delete}.
 */
final class FillTempFile {

    private static final Logger LOG = LoggerFactory.getLogger(FillTempFile.class);

    private final FillHost host;
    private final Path path;
    private Path readPath;
    private long counted;
    private boolean deleted;

    FillTempFile(final FillHost host, final String key) {
        this.host = host;
        this.path = host.newTempFile(key);
    }

    /** Creates the file for writing; from here on new readers open it. */
    FillSink open() throws IOException {
        final FillSink sink = host.openSink(path);
        readPath = path;
        return sink;
    }

    /** Where a new reader opens the body, or null when there is no file to read. */
    Path readPath() {
        return readPath;
    }

    /** The body on disk grew to {@code total} bytes. */
    void grew(final long total) {
        host.tempBytes(total - counted);
        counted = total;
    }

    /** Renames the file into place; called under the fill's lock, so a new reader opens either name. */
    void moveInto(final Path dataFile) throws IOException {
        Files.move(path, dataFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        readPath = dataFile;
    }

    /** The file became an entry: its bytes are the index's now. */
    void becameEntry() {
        host.tempBytes(-counted);
        counted = 0;
    }

    boolean isDeleted() {
        return deleted;
    }

    /**
     * Claims the deletion: the first call gets the bytes to give back (see {@link #delete}), later ones -1.
     */
    long claimDeletion() {
        if (deleted) {
            return -1;
        }
        deleted = true;
        final long bytes = counted;
        counted = 0;
        return bytes;
    }

    /** Deletes the file (gone already if it was renamed into place) and gives its claimed bytes back. */
    void delete(final long claimedBytes) {
        try {
            Files.deleteIfExists(path);
        } catch (final IOException e) {
            LOG.debug("Cannot delete temp file {}: {}", path, e.toString());
        }
        host.tempBytes(-claimedBytes);
    }
}
