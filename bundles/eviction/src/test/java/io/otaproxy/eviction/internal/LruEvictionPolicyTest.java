package io.otaproxy.eviction.internal;

import static org.junit.Assert.assertEquals;

import java.util.List;

import org.junit.Test;

public class LruEvictionPolicyTest {

    @Test
    public void evictsLeastRecentlyUsedFirstUntilEnoughIsFreed() {
        final LruEvictionPolicy lru = new LruEvictionPolicy();
        lru.added("a", 100, 10);
        lru.added("b", 100, 20);
        lru.added("c", 100, 30);
        lru.accessed("a", 40); // a is now the most recent
        assertEquals(List.of("b"), lru.victims(50, k -> false));
        assertEquals(List.of("b", "c"), lru.victims(150, k -> false));
        assertEquals(List.of("b", "c", "a"), lru.victims(10_000, k -> false));
    }

    @Test
    public void skipsPinnedEntries() {
        final LruEvictionPolicy lru = new LruEvictionPolicy();
        lru.added("a", 100, 10);
        lru.added("b", 100, 20);
        assertEquals(List.of("b"), lru.victims(100, "a"::equals));
    }

    @Test
    public void replayOutOfOrderStillRanksByLastAccess() {
        final LruEvictionPolicy lru = new LruEvictionPolicy();
        lru.added("new", 1, 300);
        lru.added("old", 1, 100);
        lru.added("mid", 1, 200);
        assertEquals(List.of("old", "mid", "new"), lru.victims(3, k -> false));
    }

    @Test
    public void removedEntriesAreForgottenAndReAddReplaces() {
        final LruEvictionPolicy lru = new LruEvictionPolicy();
        lru.added("a", 100, 10);
        lru.added("b", 100, 20);
        lru.removed("a");
        lru.added("b", 5, 30);
        assertEquals(1, lru.size());
        assertEquals(List.of("b"), lru.victims(1, k -> false));
        lru.accessed("gone", 50); // unknown keys are ignored
        assertEquals(1, lru.size());
    }

    @Test
    public void anAccessNeverMovesAnEntryBackInTime() {
        final LruEvictionPolicy lru = new LruEvictionPolicy();
        lru.added("a", 1, 100);
        lru.added("b", 1, 50);
        lru.accessed("a", 10); // a clock step backwards must not make "a" look old
        assertEquals(List.of("b"), lru.victims(1, k -> false));
    }
}
