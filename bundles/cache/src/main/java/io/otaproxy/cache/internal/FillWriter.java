package io.otaproxy.cache.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import io.otaproxy.api.cache.EntryMeta;
import io.otaproxy.api.cache.Fill;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes one upstream body, pushed by the leader's thread, into its temp file: each chunk is hashed, written and
 * published as it comes (never a second pass over the file). At the end it checks length and sha256, forces the
 * file to disk and hands it to the store for the commit. The store owns no thread for this: the caller's thread,
 * which reads upstream, does the writes, so a download costs one thread, the caller's.
 *
 * <p>Before every write it asks whether the disk may still be written (not above the hard limit); when it may
 * not, or when a write fails (ENOSPC, EIO, anything), it stops writing and hands the rest of the body to the
 * readers through the fill's memory window, still counting and hashing it: the same checks decide whether the
 * last byte is ever released. Nothing of such a fill is committed.
 *
 * <p>Whatever goes wrong inside a call fails the fill, an {@link Error} as much as a RuntimeException: a fill left
 * BEGUN would keep its readers waiting and have new requests join it. The fill is failed before anything else,
 * as logging may need memory an OutOfMemoryError did not leave; a VirtualMachineError is then rethrown to the
 * caller, whose thread should hear of it.
 */
final class FillWriter implements Fill.Writer {

    private static final Logger LOG = LoggerFactory.getLogger(FillWriter.class);

    private final InFlightFill fill;
    private final EntryMeta meta;
    private final FillSink out;
    private final FillHost host;
    private final MessageDigest digest;

    // touched by the caller's thread only (one call at a time), and by the watchdog through `calls`
    private boolean toDisk;
    private long total;
    private boolean ended;
    private volatile int calls; // calls in progress: 0 or 1
    private volatile long lastCallNanos = System.nanoTime();

    /** @param out the temp file, or null when it could not be created (the fill relays from the first byte) */
    FillWriter(final InFlightFill fill, final EntryMeta meta, final FillSink out, final FillHost host) {
        this.fill = fill;
        this.meta = meta;
        this.out = out;
        this.host = host;
        this.toDisk = out != null;
        this.digest = verifiable(meta) ? sha256() : null;
    }

    /** A writer for a fill that was dropped before its leader came back: it takes nothing. */
    static Fill.Writer dropped() {
        return new Fill.Writer() {
            @Override
            public boolean append(final byte[] bytes, final int offset, final int length) {
                return false;
            }

            @Override
            public boolean complete() {
                return false;
            }

            @Override
            public void fail(final IOException cause) {
                // nothing to fail
            }
        };
    }

    /**
     * Whether the body can be checked against {@code file_sha256}: that digest is of the original file, so it only
     * matches bytes stored without compression or content encoding. A compressed blob is checked by length only.
     */
    static boolean verifiable(final EntryMeta meta) {
        return meta.fileSha256() != null && meta.compressionAlg() == null
                && (meta.contentEncoding() == null || "identity".equalsIgnoreCase(meta.contentEncoding()));
    }

    @Override
    public boolean append(final byte[] bytes, final int offset, final int length) {
        if (!enter()) {
            return false;
        }
        try {
            return take(bytes, offset, length);
        } catch (final Throwable e) {
            died(e);
            return false;
        } finally {
            leave();
        }
    }

    @Override
    public boolean complete() {
        if (!enter()) {
            return false;
        }
        try {
            final boolean accepted = verifyAndCommit();
            end();
            return accepted;
        } catch (final Throwable e) {
            died(e);
            return false;
        } finally {
            leave();
        }
    }

    @Override
    public void fail(final IOException cause) {
        if (!enter()) {
            return;
        }
        try {
            if (fill.fail(new IOException("Upstream failed after " + total + " bytes: " + cause.getMessage(), cause),
                    true)) {
                LOG.info("Fill of {} failed after {} bytes: upstream {}", fill.key(), total, cause.toString());
                host.upstreamFailed(fill.key(), "upstream failed after " + total + " bytes: " + cause.getMessage());
            }
            end();
        } finally {
            leave();
        }
    }

    /**
     * Watchdog: whether the caller has been silent, with no call in progress, for at least {@code nanos}. A caller
     * waiting for upstream is silent; one paced by slow readers is inside {@link #append}.
     */
    boolean silentFor(final long nanos) {
        return !ended && calls == 0 && System.nanoTime() - lastCallNanos >= nanos;
    }

    /** Watchdog: the caller went silent; the fill fails so its readers and joiners are released. */
    void abandonSilent(final String why) {
        if (fill.fail(new IOException("The download stalled: " + why), false)) {
            LOG.warn("Fill of {} failed after {} bytes: {}", fill.key(), total, why);
            host.upstreamFailed(fill.key(), why);
        }
        // not end(): a late call of the caller finds the fill failed and ends it; the temp file goes with the sweep
        fill.writerFinished();
    }

    private boolean enter() {
        if (ended) {
            return false;
        }
        calls = 1;
        lastCallNanos = System.nanoTime();
        return true;
    }

    private void leave() {
        lastCallNanos = System.nanoTime();
        calls = 0;
    }

    /** Once, whichever way the body ends: closes the temp file and tells the fill no more bytes come. */
    private void end() {
        if (ended) {
            return;
        }
        ended = true;
        InFlightFill.closeQuietly(out);
        fill.writerFinished();
    }

    private void died(final Throwable e) {
        fill.fail(new IOException("Unexpected failure: " + e, e), true);
        end();
        LOG.error("Fill of {} failed unexpectedly", fill.key(), e);
        if (e instanceof VirtualMachineError vme) {
            throw vme;
        }
    }

    private boolean take(final byte[] bytes, final int offset, final int length) {
        if (!fill.isRunning()) {
            end(); // aborted: every reader left, or the store is stopping
            return false;
        }
        final long expected = meta.length();
        if (expected >= 0 && total + length > expected) {
            integrityFailure("length", expected, "more than " + expected + " bytes");
            end();
            return false;
        }
        if (digest != null) {
            digest.update(bytes, offset, length);
        }
        if (toDisk) {
            toDisk = write(ByteBuffer.wrap(bytes, offset, length));
            if (toDisk) {
                total += length;
                fill.published(total);
                return true;
            }
        }
        if (!fill.relay(bytes, offset, length)) {
            end(); // failed meanwhile, or no reader is left to serve
            return false;
        }
        total += length;
        return true;
    }

    private boolean verifyAndCommit() {
        if (!fill.isRunning()) {
            return false;
        }
        final long expected = meta.length();
        if (expected >= 0 && total != expected) {
            integrityFailure("length", expected, total);
            return false;
        }
        if (digest != null) {
            final String actual = HexFormat.of().formatHex(digest.digest());
            if (!actual.equalsIgnoreCase(meta.fileSha256())) {
                integrityFailure("sha256", meta.fileSha256(), actual);
                return false;
            }
        }
        if (!toDisk) {
            fill.relayed(total);
            return true;
        }
        if (!fill.verified(total)) {
            return false;
        }
        if (makeDurable()) {
            host.commit(fill, meta.withLength(total)); // the readers have every byte already: nobody waits for this
        }
        return true;
    }

    /**
     * Writes one chunk to the temp file, unless the disk is above its hard limit.
     *
     * @return whether the chunk is on disk; false once the fill has stopped writing to disk
     */
    private boolean write(final ByteBuffer chunk) {
        if (!host.diskWritable()) {
            fill.stopWriting(total, "the disk is above its hard limit");
            return false;
        }
        try {
            out.write(chunk);
            return true;
        } catch (final IOException e) {
            // any part of this chunk that reached the file is ignored: readers get all of it from memory
            host.writeFailed("Cannot write the fill of " + fill.key(), e);
            fill.stopWriting(total, "write failed: " + e.getMessage());
            return false;
        }
    }

    /**
     * Forces the data to disk before the rename makes it an entry: a power cut must not leave a complete-looking
     * file with a zero-filled tail. If that fails, the bytes are all in the temp file (and in the page cache) and
     * readers get them from there; the fill is just not committed.
     */
    private boolean makeDurable() {
        try {
            out.force();
            out.close();
            return true;
        } catch (final IOException e) {
            host.writeFailed("Cannot force the fill of " + fill.key() + " to disk", e);
            LOG.warn("Fill of {} is not cached: fsync failed ({}); its readers still get all {} bytes", fill.key(),
                    e.toString(), total);
            fill.commitFailed(total);
            return false;
        }
    }

    private void integrityFailure(final String what, final Object expected, final Object actual) {
        if (fill.fail(new IOException("Wrong " + what + ": expected " + expected + ", got " + actual), true)) {
            LOG.warn("Fill of {} not cached: wrong {}, expected {}, actual {}", fill.key(), what, expected, actual);
            host.integrityFailed(fill.key(), "wrong " + what + ": expected " + expected + ", got " + actual);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
