package io.otaproxy.cache.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;

import java.util.Map;

import io.otaproxy.cache.internal.TestSpace.OrderPolicy;

import org.junit.Test;
import org.osgi.framework.Constants;

public class PolicySelectorTest {

    private final PolicySelector selector = new PolicySelector();
    private final OrderPolicy lru = OrderPolicy.lru();
    private final OrderPolicy gdsf = OrderPolicy.largestFirst();
    private final OrderPolicy otherLru = OrderPolicy.lru();

    @Test
    public void theConfiguredNameWinsThenRankingThenAge() {
        selector.add(lru, Map.of("policy", "lru", Constants.SERVICE_ID, 5L));
        selector.add(gdsf, Map.of("policy", "gdsf", Constants.SERVICE_ID, 6L));
        assertSame(lru, selector.choose("lru").policy());
        assertSame(gdsf, selector.choose("gdsf").policy());
        selector.add(otherLru, Map.of("policy", "lru", Constants.SERVICE_ID, 7L, Constants.SERVICE_RANKING, 10));
        assertSame("the better ranked of two", otherLru, selector.choose("lru").policy());
        selector.remove(otherLru);
        assertSame(lru, selector.choose("lru").policy());
    }

    @Test
    public void aMissingPolicyFallsBackToTheBestRankedOtherAndNoneToNull() {
        assertNull(selector.choose("lru"));
        selector.add(gdsf, Map.of("policy", "gdsf", Constants.SERVICE_ID, 9L));
        selector.add(lru, Map.of("policy", "lru", Constants.SERVICE_ID, 3L));
        final PolicySelector.Candidate c = selector.choose("lfuda");
        assertSame("the oldest of equally ranked", lru, c.policy());
        assertEquals("lru", c.name());
    }

    @Test
    public void withoutThePropertyThePolicysOwnNameCounts() {
        selector.add(gdsf, Map.of());
        assertEquals("largest", selector.choose("largest").name());
    }
}
