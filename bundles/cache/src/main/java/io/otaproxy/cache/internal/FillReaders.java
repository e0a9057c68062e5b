package io.otaproxy.cache.internal;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Who reads a fill: its open readers with the first position each still needs, the leader's slot reserved from
 * begin until it opens its own reader, and joiners that hold a handle but have not opened theirs yet. It answers
 * two questions: may the download stop because nobody is left, and which bytes of a relayed fill may be dropped.
 * Not thread-safe: the fill's lock guards it.
 */
final class FillReaders {

    private final Set<FillBodyReader> open = Collections.newSetFromMap(new IdentityHashMap<>());
    private int count; // open readers plus the leader's slot
    private boolean leaderSlot;
    private int joinHolds;

    /** At begin: the leader counts as a reader until it opens its own. */
    void reserveLeaderSlot() {
        leaderSlot = true;
        count = 1;
    }

    /** A joiner got a handle; see {@link #holdsLive}. */
    void holdForJoiner() {
        joinHolds++;
    }

    void releaseJoinHold() {
        if (joinHolds > 0) {
            joinHolds--;
        }
    }

    void opened(final FillBodyReader reader, final boolean leader) {
        if (leader && leaderSlot) {
            leaderSlot = false; // the slot becomes the leader's reader: the count stays
        } else {
            count++;
        }
        open.add(reader);
    }

    void closed(final FillBodyReader reader) {
        count--;
        open.remove(reader);
    }

    /** The leader will not open a reader of this fill (it ended, or it never came): its slot is freed. */
    void releaseLeaderSlot() {
        if (leaderSlot) {
            leaderSlot = false;
            count--;
        }
    }

    /** Open readers plus the leader's reserved slot. */
    int count() {
        return count;
    }

    int openCount() {
        return open.size();
    }

    /**
     * Whether readers promised but not yet open may still come and need the start of the body: the leader until it
     * opens its reader or is released, each joiner until it opens, gives up or is released. Counted, not timed.
     */
    boolean holdsLive() {
        return leaderSlot || joinHolds > 0;
    }

    boolean hasLeaderSlot() {
        return leaderSlot;
    }

    /**
     * The first body position some reader may still need: the lowest position an open reader asked for, or
     * {@code diskEnd} while promised readers may come (they start at 0 and read the disk part first).
     *
     * @return that position, or -1 when no reader is open nor expected
     */
    long floor(final long diskEnd) {
        long floor = Long.MAX_VALUE;
        for (final FillBodyReader r : open) {
            floor = Math.min(floor, r.mark());
        }
        if (holdsLive()) {
            floor = Math.min(floor, diskEnd);
        }
        return floor == Long.MAX_VALUE ? -1 : floor;
    }
}
