package io.otaproxy.api.eviction;

import java.util.List;
import java.util.function.Predicate;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Ranks cache entries for eviction. The cache store reports every entry it adds, reads and removes, and asks for
 * victims when it must free space. Implementations are thread-safe. When a policy replaces another at runtime,
 * the cache store replays its index into the new one with {@link #added}.
 */
@ProviderType
public interface EvictionPolicy {

    /** A short name for logs and configuration, such as {@code lru}. */
    String name();

    /** An entry of {@code sizeBytes} became available, last used at {@code lastAccessMillis}. */
    void added(String key, long sizeBytes, long lastAccessMillis);

    /** An entry was read at {@code accessMillis}. */
    void accessed(String key, long accessMillis);

    /** An entry left the cache, for whatever reason. */
    void removed(String key);

    /**
     * Proposes entries to remove, least valuable first, whose sizes add up to at least {@code bytesToFree}
     * (or all candidates when there are not enough). Entries for which {@code pinned} answers true (being read
     * or written) are skipped. The policy does not forget the proposed entries until {@link #removed} is called.
     */
    List<String> victims(long bytesToFree, Predicate<String> pinned);
}
