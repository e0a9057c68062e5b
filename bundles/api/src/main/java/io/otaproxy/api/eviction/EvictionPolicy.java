package io.otaproxy.api.eviction;

import java.util.List;
import java.util.function.Predicate;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Ranks cache entries for eviction. The cache store reports every entry it adds, reads and removes, and asks for
 * victims when it must free space. Implementations are thread-safe. When a policy replaces another at runtime,
 * the cache store replays its index into the new one with {@link #added}, and tells the one it leaves that every
 * entry was {@link #removed}, so an idle policy holds no memory.
 *
 * <p>A policy is registered as a service with the property {@value #POLICY_PROPERTY} set to its {@link #name()};
 * the cache store uses the one whose name its configuration asks for. Installing a bundle with another policy, or
 * changing that name, swaps policies without a restart.
 */
@ProviderType
public interface EvictionPolicy {

    /**
     * The service property naming a policy, such as {@code policy=lru}.
     *
     * @since 1.1
     */
    String POLICY_PROPERTY = "policy";

    /** A short name for logs and configuration, such as {@code lru}; the value of {@value #POLICY_PROPERTY}. */
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
     * or written) are skipped. The policy does not forget the proposed entries until {@link #removed} is called;
     * the store calls it for each one it actually removes. Called on the store's maintenance thread only, never
     * on the path of a request.
     */
    List<String> victims(long bytesToFree, Predicate<String> pinned);
}
