package io.otaproxy.api.cache;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The disk cache. Lookups are in-memory; nothing here does work that grows with the number of entries.
 * Registered only while the cache can be used at all; the proxy relays when it is absent.
 */
@ProviderType
public interface CacheStore {

    /** The complete entry for {@code key}, or null. A hit counts as an access for eviction. */
    CacheEntry find(String key);

    /**
     * A file in one of the configured external read-only caches (a mounted USB stick, an NFS share), found by the
     * client's {@code file_sha256} as {@code <dir>/data/<sha256>} or {@code <dir>/data/<sha256>.zst}; the latter
     * is answered with compression {@code zst}. Null when none has it. Consulted after {@link #find}.
     *
     * @since 1.1
     */
    CacheEntry findExternal(String fileSha256);

    /**
     * What is known of a download in flight for {@code key} whose response head has arrived (its length is -1
     * while unknown), without joining it; null when there is none. Answers a HEAD during a download.
     *
     * @since 1.2
     */
    EntryMeta inFlightMeta(String key);

    /**
     * The fill in flight for {@code key}, joined; or a new fill that the caller leads. Null when the store takes
     * no new entries now (caching disabled, above the hard limit, disk failing): the caller relays instead.
     */
    Fill fill(String key);

    /**
     * Drops the complete entry for {@code key} ({@code retry_caching}), and a download of it that is whole but
     * not yet an entry. Readers holding it finish reading the old file; a new request misses.
     *
     * @return whether there was an entry
     */
    boolean remove(String key);

    /**
     * Gives the complete entry for {@code key} the headers of a newer response that confirmed its bytes (upstream
     * answered a revalidation with 304): {@link EntryMeta#headers()} and {@link EntryMeta#receivedMillis()} of
     * {@code confirmed} replace the stored ones, durably; the body, its length and directives stay.
     *
     * @return the entry as it is now, or null when there is none (removed or replaced meanwhile)
     * @since 2.1
     */
    CacheEntry refresh(String key, EntryMeta confirmed);
}
