package io.otaproxy.eviction.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import io.otaproxy.api.eviction.EvictionPolicy;

import org.junit.Test;

public class GdsfEvictionPolicyTest {

    /**
     * One trace, two policies. A large image read once long ago and two small manifests read often: LRU throws a
     * manifest out first (the oldest access), GDSF the image (lowest frequency per byte), though it was read last.
     */
    private static void trace(final EvictionPolicy p) {
        p.added("manifest-a", 1_000, 10);
        p.added("manifest-b", 1_000, 20);
        p.added("image", 100_000, 30);
        p.accessed("manifest-a", 40);
        p.accessed("manifest-b", 50);
        p.accessed("manifest-a", 60);
        p.accessed("image", 70); // the image is now the most recently used
    }

    @Test
    public void gdsfAndLruDisagreeOnTheSameTrace() {
        final LruEvictionPolicy lru = new LruEvictionPolicy();
        final GdsfEvictionPolicy gdsf = new GdsfEvictionPolicy();
        trace(lru);
        trace(gdsf);
        assertEquals(List.of("manifest-b"), lru.victims(500, k -> false));
        assertEquals(List.of("image"), gdsf.victims(500, k -> false));
        assertEquals(List.of("manifest-b", "manifest-a", "image"), lru.victims(Long.MAX_VALUE, k -> false));
        // manifest-b: 2 reads per 1000 bytes; manifest-a: 3 reads per 1000 bytes
        assertEquals(List.of("image", "manifest-b", "manifest-a"), gdsf.victims(Long.MAX_VALUE, k -> false));
    }

    @Test
    public void frequencyProtectsASmallEntryOfTheSameSize() {
        final GdsfEvictionPolicy gdsf = new GdsfEvictionPolicy();
        gdsf.added("hot", 100, 1);
        gdsf.added("cold", 100, 2);
        gdsf.accessed("hot", 3);
        assertEquals(List.of("cold"), gdsf.victims(1, k -> false));
    }

    @Test
    public void equalPrioritiesGoLeastRecentlyUsedFirst() {
        final GdsfEvictionPolicy gdsf = new GdsfEvictionPolicy();
        gdsf.added("new", 10, 300);
        gdsf.added("old", 10, 100);
        gdsf.added("mid", 10, 200);
        assertEquals(List.of("old", "mid", "new"), gdsf.victims(30, k -> false));
    }

    @Test
    public void evictionInflatesSoNewcomersOutrankFormerlyPopularEntries() {
        final GdsfEvictionPolicy gdsf = new GdsfEvictionPolicy();
        gdsf.added("popular-once", 100, 1);
        for (int i = 0; i < 4; i++) {
            gdsf.accessed("popular-once", 2 + i); // priority 5/100
        }
        gdsf.added("victim", 10, 10); // priority 1/10
        gdsf.added("filler", 10, 11);
        assertEquals(List.of("popular-once"), gdsf.victims(1, k -> false));

        // the store evicts something else; only a proposed entry raises L when it goes
        gdsf.removed("filler");
        assertEquals(0.0, gdsf.inflation(), 0.0);
        assertEquals(List.of("popular-once", "victim"), gdsf.victims(110, k -> false));
        gdsf.removed("victim");
        assertEquals(0.1, gdsf.inflation(), 1e-12);

        // a newcomer read once now ranks L + 1/100 = 0.11, above the old favourite's 0.05
        gdsf.added("newcomer", 100, 20);
        assertEquals(List.of("popular-once"), gdsf.victims(1, k -> false));
        assertEquals(List.of("popular-once", "newcomer"), gdsf.victims(200, k -> false));
    }

    @Test
    public void onlyEntriesOfTheLastProposalInflateWhenRemoved() {
        final GdsfEvictionPolicy gdsf = new GdsfEvictionPolicy();
        gdsf.added("a", 10, 1);
        gdsf.added("b", 10, 2);
        assertEquals(List.of("a", "b"), gdsf.victims(20, k -> false));
        assertEquals(List.of("a"), gdsf.victims(1, k -> false)); // replaces the proposal
        gdsf.removed("b"); // e.g. retry_caching: not an eviction
        assertEquals(0.0, gdsf.inflation(), 0.0);
        gdsf.added("a", 10, 5); // re-committed: a new entry, no longer proposed
        gdsf.removed("a");
        assertEquals(0.0, gdsf.inflation(), 0.0);
        gdsf.added("c", 10, 6);
        assertEquals(List.of("c"), gdsf.victims(1, k -> false));
        gdsf.removed("c");
        assertEquals(0.1, gdsf.inflation(), 1e-12);
    }

    @Test
    public void skipsPinnedEntriesAndForgetsRemovedOnes() {
        final GdsfEvictionPolicy gdsf = new GdsfEvictionPolicy();
        gdsf.added("big", 1000, 1);
        gdsf.added("small", 10, 2);
        assertEquals(List.of("small"), gdsf.victims(1, "big"::equals));
        gdsf.removed("big");
        gdsf.removed("unknown");
        gdsf.accessed("unknown", 3);
        assertEquals(1, gdsf.size());
        assertEquals(List.of("small"), gdsf.victims(Long.MAX_VALUE, k -> false));
    }

    @Test
    public void emptyEntriesDoNotDivideByZero() {
        final GdsfEvictionPolicy gdsf = new GdsfEvictionPolicy();
        gdsf.added("empty", 0, 1);
        gdsf.added("one", 1, 2);
        assertEquals(List.of("empty", "one"), gdsf.victims(Long.MAX_VALUE, k -> false));
    }

    @Test
    public void bothPoliciesAreRegisteredWithTheirNameAsServiceProperty() throws Exception {
        for (final EvictionPolicy p : List.of(new LruEvictionPolicy(), new GdsfEvictionPolicy())) {
            final String xml = "OSGI-INF/" + p.getClass().getName() + ".xml";
            try (InputStream in = getClass().getClassLoader().getResourceAsStream(xml)) {
                assertNotNull("component description generated: " + xml, in);
                final String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(text, text.contains("name=\"" + EvictionPolicy.POLICY_PROPERTY + "\""));
                assertTrue(text, text.contains("value=\"" + p.name() + "\""));
                assertTrue(text, text.contains(EvictionPolicy.class.getName()));
            }
        }
    }
}
