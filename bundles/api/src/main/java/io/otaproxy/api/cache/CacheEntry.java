package io.otaproxy.api.cache;

import java.io.IOException;
import java.nio.channels.FileChannel;

import org.osgi.annotation.versioning.ProviderType;

/** A complete, verified cache entry. Its bytes never change; a replaced entry stays readable for its holders. */
@ProviderType
public interface CacheEntry {

    /** The cache key: 64 lower-case hex digits. */
    String key();

    /** The stored metadata; {@code meta().length()} is the exact body length. */
    EntryMeta meta();

    /**
     * Opens the body for reading, positioned at 0. The caller closes the channel. Throws when the file has gone
     * (removed under the store's feet); the store then forgets the entry.
     */
    FileChannel open() throws IOException;
}
