package io.otaproxy.cache.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import io.otaproxy.api.eviction.EvictionPolicy;

import org.osgi.framework.Constants;

/**
 * The eviction policies registered right now, and the choice among them: the one whose {@code policy} service
 * property is the configured name (the best ranked if several are); when none is, the best ranked of the others,
 * so space is still managed while the wanted policy's bundle is missing or being updated. Not thread-safe: the
 * component guards it.
 */
final class PolicySelector {

    /** A registered policy with what its service properties say about it. */
    record Candidate(EvictionPolicy policy, String name, int ranking, long serviceId) {
    }

    private static final Comparator<Candidate> BEST_FIRST = Comparator.comparingInt(Candidate::ranking).reversed()
            .thenComparingLong(Candidate::serviceId);

    private final Map<EvictionPolicy, Candidate> candidates = new IdentityHashMap<>();

    void add(final EvictionPolicy policy, final Map<String, ?> properties) {
        final Object name = properties.get(EvictionPolicy.POLICY_PROPERTY);
        final Object ranking = properties.get(Constants.SERVICE_RANKING);
        final Object id = properties.get(Constants.SERVICE_ID);
        candidates.put(policy, new Candidate(policy,
                name instanceof String n ? n.trim() : EvictionReporter.safeName(policy),
                ranking instanceof Integer r ? r : 0, id instanceof Long i ? i : Long.MAX_VALUE));
    }

    void remove(final EvictionPolicy policy) {
        candidates.remove(policy);
    }

    /** The policy to use for {@code wanted}, or null when none is registered. */
    Candidate choose(final String wanted) {
        final List<Candidate> all = new ArrayList<>(candidates.values());
        all.sort(BEST_FIRST);
        for (final Candidate c : all) {
            if (c.name().equals(wanted)) {
                return c;
            }
        }
        return all.isEmpty() ? null : all.get(0);
    }
}
