package io.otaproxy.cache.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import io.otaproxy.api.cache.EntryMeta;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies one upstream body into its temp file on a store thread: large reads, a write, the hash updated from the
 * same buffer (never a second pass over the file), progress published after every write. At the end it checks
 * length and sha256, forces the file to disk and hands it to the store for the commit.
 *
 * <p>Before every write it asks whether the disk may still be written (not above the hard limit); when it may
 * not, or when a write fails (ENOSPC, EIO, anything), it stops writing and hands the rest of the body to the
 * readers through the fill's memory window, still counting and hashing it: the same checks decide whether the
 * last byte is ever released. Nothing of such a fill is committed.
 */
final class FillWriter implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(FillWriter.class);

    private final InFlightFill fill;
    private final EntryMeta meta;
    private final InputStream body;
    private final FillSink out;
    private final FillHost host;

    /** @param out the temp file, or null when it could not be created (the fill relays from the first byte) */
    FillWriter(final InFlightFill fill, final EntryMeta meta, final InputStream body, final FillSink out,
            final FillHost host) {
        this.fill = fill;
        this.meta = meta;
        this.body = body;
        this.out = out;
        this.host = host;
    }

    /**
     * Whatever ends the copy unexpectedly fails the fill, an {@link Error} as much as a RuntimeException: a fill
     * left BEGUN would keep its readers waiting with no timeout and have new requests join it. The fill is failed
     * before anything else, as logging may need memory an OutOfMemoryError did not leave. A VirtualMachineError
     * is rethrown once the fill is failed and its files closed: the JVM itself is in trouble, and the thread's
     * handler should hear of it. Any other Error (an AssertionError, a LinkageError, a library's own) ends here,
     * like a RuntimeException, as the failure of this one fill.
     */
    @Override
    public void run() {
        try {
            copyVerifyCommit();
        } catch (final Throwable e) {
            fill.fail(new IOException("Unexpected failure: " + e, e), true);
            LOG.error("Fill of {} failed unexpectedly", fill.key(), e);
            if (e instanceof VirtualMachineError vme) {
                throw vme;
            }
        } finally {
            InFlightFill.closeQuietly(out);
            InFlightFill.closeQuietly(body);
            fill.writerFinished();
        }
    }

    /**
     * Whether the body can be checked against {@code file_sha256}: that digest is of the original file, so it only
     * matches bytes stored without compression or content encoding. A compressed blob is checked by length only.
     */
    static boolean verifiable(final EntryMeta meta) {
        return meta.fileSha256() != null && meta.compressionAlg() == null
                && (meta.contentEncoding() == null || "identity".equalsIgnoreCase(meta.contentEncoding()));
    }

    private void copyVerifyCommit() {
        final String key = fill.key();
        final long expected = meta.length();
        final MessageDigest digest = verifiable(meta) ? sha256() : null;
        // a known small body needs no full-size chunk: most files of an OTA image are a few KiB
        final byte[] chunk = new byte[(int) (expected >= 0 ? Math.min(host.chunkBytes(), Math.max(expected + 1, 4096))
                : host.chunkBytes())];
        final ByteBuffer chunkBuffer = ByteBuffer.wrap(chunk);
        boolean toDisk = out != null;
        long total = 0;
        while (true) {
            if (!fill.isRunning()) {
                return; // aborted: every reader left, or the store is stopping
            }
            final int n;
            try {
                n = body.read(chunk);
            } catch (final IOException e) {
                if (fill.fail(new IOException("Upstream failed after " + total + " bytes: " + e.getMessage(), e),
                        true)) {
                    LOG.info("Fill of {} failed after {} bytes: upstream {}", key, total, e.toString());
                    host.upstreamFailed(key, "upstream failed after " + total + " bytes: " + e.getMessage());
                }
                return;
            }
            if (n < 0) {
                InFlightFill.closeQuietly(body); // upstream is done with: its connection goes back before any fsync
                break;
            }
            if (expected >= 0 && total + n > expected) {
                integrityFailure("length", expected, "more than " + expected + " bytes");
                return;
            }
            if (digest != null) {
                digest.update(chunk, 0, n);
            }
            if (toDisk) {
                toDisk = write(chunkBuffer, n, total);
                if (toDisk) {
                    total += n;
                    fill.published(total);
                    continue;
                }
            }
            if (!fill.relay(chunk, n)) {
                return; // failed meanwhile, or no reader is left to serve
            }
            total += n;
        }
        if (expected >= 0 && total != expected) {
            integrityFailure("length", expected, total);
            return;
        }
        if (digest != null) {
            final String actual = HexFormat.of().formatHex(digest.digest());
            if (!actual.equalsIgnoreCase(meta.fileSha256())) {
                integrityFailure("sha256", meta.fileSha256(), actual);
                return;
            }
        }
        if (!toDisk) {
            fill.relayed(total);
        } else if (fill.verified(total) && makeDurable(total)) {
            host.commit(fill, meta.withLength(total)); // the readers have every byte already: nobody waits for this
        }
    }

    /**
     * Writes one chunk to the temp file, unless the disk is above its hard limit.
     *
     * @return whether the chunk is on disk; false once the fill has stopped writing to disk
     */
    private boolean write(final ByteBuffer chunkBuffer, final int n, final long total) {
        if (!host.diskWritable()) {
            fill.stopWriting(total, "the disk is above its hard limit");
            return false;
        }
        try {
            chunkBuffer.clear().limit(n);
            out.write(chunkBuffer);
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
    private boolean makeDurable(final long total) {
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
