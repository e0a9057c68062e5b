package io.otaproxy.cache.internal;

import java.io.IOException;
import java.io.InputStream;

import io.otaproxy.api.cache.EntryMeta;
import io.otaproxy.api.cache.Fill;

/** One caller's view of a shared fill: the same download for everyone, but only the leader may begin or abandon. */
final class FillHandle implements Fill {

    private final InFlightFill fill;
    private final boolean leader;

    FillHandle(final InFlightFill fill, final boolean leader) {
        this.fill = fill;
        this.leader = leader;
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
    public void begin(final EntryMeta meta, final InputStream body, final Runnable onAbort) {
        requireLeader("begin");
        fill.begin(meta, body, onAbort);
    }

    @Override
    public void abandon() {
        requireLeader("abandon");
        fill.abandon();
    }

    @Override
    public boolean awaitBegun(final long timeoutMillis) throws InterruptedException {
        return fill.awaitBegun(timeoutMillis);
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
        return fill.newReader(leader);
    }

    InFlightFill shared() {
        return fill;
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
