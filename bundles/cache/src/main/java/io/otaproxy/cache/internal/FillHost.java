package io.otaproxy.cache.internal;

import java.io.IOException;
import java.nio.file.Path;

import io.otaproxy.api.cache.EntryMeta;

/** What a fill needs from the store that runs it; kept narrow so a fill never reaches into the index itself. */
interface FillHost {

    /** A new, unused temp file name for {@code key}. */
    Path newTempFile(String key);

    /** Creates the temp file and opens it for the writer (the disk seam; see {@link FillSink}). */
    FillSink openSink(Path tempFile) throws IOException;

    /** The most bytes a fill that stopped writing to disk holds in memory for its readers. */
    int relayWindowBytes();

    /** The memory all fills' relay windows may hold together. */
    RelayBudget relayBudget();

    /** Whether a fill goes on when every reader has left. Read live: configuration may change it. */
    boolean alwaysFinish();

    /** Whether fills may go on writing to disk: false above the hard limit. Read before every write. */
    boolean diskWritable();

    /** Verifies nothing more: makes the written, verified temp file the entry, then releases the last byte. */
    void commit(InFlightFill fill, EntryMeta meta);

    /** The fill ended (committed, failed, abandoned or relayed to its end): the next request starts afresh. */
    void ended(InFlightFill fill);

    /** A write to the cache disk failed. */
    void diskError(String what, IOException e);

    /** A fill's temp file could not be created or written: refuse new fills for a while (they would fail too). */
    void writeFailed(String what, IOException e);

    /** The temp files of fills grew (or, negative, shrank) by {@code delta} bytes. */
    void tempBytes(long delta);

    /** A reader of {@code key} opened (the entry it becomes must not be evicted under it) or closed. */
    void pin(String key);

    void unpin(String key);

    /** A download was refused: its length or sha256 did not match ({@code detail} says which and how). */
    default void integrityFailed(String key, String detail) {
    }

    /** A download failed because upstream broke off, stalled or timed out. */
    default void upstreamFailed(String key, String detail) {
    }
}
