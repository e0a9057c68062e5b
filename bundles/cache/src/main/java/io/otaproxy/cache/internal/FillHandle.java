package io.otaproxy.cache.internal;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;

import io.otaproxy.api.cache.EntryMeta;
import io.otaproxy.api.cache.Fill;

/**
 * One caller's view of a shared fill: the same download for everyone, but only the leader may begin or abandon.
 * A joiner's handle holds the start of the body for it (see {@link InFlightFill#holdForJoiner}) until it opens
 * its reader, gives up waiting, or is released, so a fill that stops writing to disk meanwhile can still serve it
 * whole. A count, not a timer: the hold lasts exactly as long as the caller may still read.
 */
final class FillHandle implements Fill {

    private final InFlightFill fill;
    private final boolean leader;
    private final AtomicBoolean holding;

    FillHandle(final InFlightFill fill, final boolean leader) {
        this.fill = fill;
        this.leader = leader;
        this.holding = new AtomicBoolean(!leader);
        if (!leader) {
            fill.holdForJoiner();
        }
    }

    @Override
    public String key() {
        return fill.key();
    }

    @Override
    public boolean isLeader() {
        return leader;
    }

    @Override
    public Writer begin(final EntryMeta meta, final Runnable onAbort) {
        requireLeader("begin");
        return fill.begin(meta, onAbort);
    }

    @Override
    public void runToEnd() {
        fill.runToEnd(leader);
    }

    @Override
    public void release() {
        if (leader) {
            fill.releaseLeader();
        } else {
            releaseHold();
        }
    }

    @Override
    public void abandon() {
        requireLeader("abandon");
        fill.abandon();
    }

    @Override
    public boolean awaitBegun(final long timeoutMillis) throws InterruptedException {
        boolean begun = false;
        try {
            begun = fill.awaitBegun(timeoutMillis);
            return begun;
        } finally {
            if (!begun) {
                releaseHold(); // the caller relays on its own and will not read this fill
            }
        }
    }

    @Override
    public void whenBegun(final Runnable callback) {
        fill.whenBegun(() -> {
            if (!fill.isBegun()) {
                releaseHold(); // the caller relays on its own and will not read this fill
            }
            callback.run();
        });
    }

    @Override
    public boolean isBegun() {
        return fill.isBegun();
    }

    @Override
    public EntryMeta meta() {
        return fill.meta();
    }

    @Override
    public long bytesOnDisk() {
        return fill.bytesOnDisk();
    }

    @Override
    public FillReader newReader() throws IOException {
        try {
            return fill.newReader(leader);
        } finally {
            releaseHold();
        }
    }

    InFlightFill shared() {
        return fill;
    }

    private void releaseHold() {
        if (holding.compareAndSet(true, false)) {
            fill.releaseJoinHold();
        }
    }

    private void requireLeader(final String what) {
        if (!leader) {
            throw new IllegalStateException("Only the leader of the fill of " + fill.key() + " may " + what + " it");
        }
    }

    @Override
    public String toString() {
        return (leader ? "leader of " : "joiner of ") + fill;
    }
}
