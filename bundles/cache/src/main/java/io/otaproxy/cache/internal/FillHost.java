package io.otaproxy.cache.internal;

import java.io.IOException;
import java.nio.file.Path;

import io.otaproxy.api.cache.EntryMeta;

/** What a fill needs from the store that runs it; kept narrow so a fill never reaches into the index itself. */
interface FillHost {

    /** A new, unused temp file name for {@code key}. */
    Path newTempFile(String key);

    /** Runs the writer on the store's fill threads; throws RejectedExecutionException when the store stops. */
    void startWriter(FillWriter writer);

    /** Bytes read from upstream per step. */
    int chunkBytes();

    /** Whether a fill goes on when every reader has left. Read live: configuration may change it. */
    boolean alwaysFinish();

    /** Verifies nothing more: makes the written, verified temp file the entry, then releases the last byte. */
    void commit(InFlightFill fill, EntryMeta meta);

    /** The fill ended (committed, failed or abandoned): the next request for the key starts afresh. */
    void ended(InFlightFill fill);

    /** A write to the cache disk failed. */
    void diskError(String what, IOException e);
}
