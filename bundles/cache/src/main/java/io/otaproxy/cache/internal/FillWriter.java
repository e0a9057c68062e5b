package io.otaproxy.cache.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
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
 */
final class FillWriter implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(FillWriter.class);

    private final InFlightFill fill;
    private final EntryMeta meta;
    private final InputStream body;
    private final FileChannel out;
    private final FillHost host;

    FillWriter(final InFlightFill fill, final EntryMeta meta, final InputStream body, final FileChannel out,
            final FillHost host) {
        this.fill = fill;
        this.meta = meta;
        this.body = body;
        this.out = out;
        this.host = host;
    }

    @Override
    public void run() {
        try {
            copyVerifyCommit();
        } catch (final RuntimeException e) {
            LOG.error("Fill of {} failed unexpectedly", fill.key(), e);
            fill.fail(new IOException("Unexpected failure: " + e, e), true);
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
        final byte[] chunk = new byte[host.chunkBytes()];
        final ByteBuffer chunkBuffer = ByteBuffer.wrap(chunk);
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
                }
                return;
            }
            if (n < 0) {
                break;
            }
            if (expected >= 0 && total + n > expected) {
                integrityFailure("length", expected, "more than " + expected + " bytes");
                return;
            }
            try {
                chunkBuffer.clear().limit(n);
                while (chunkBuffer.hasRemaining()) {
                    out.write(chunkBuffer);
                }
            } catch (final IOException e) {
                diskFailure(e);
                return;
            }
            if (digest != null) {
                digest.update(chunk, 0, n);
            }
            total += n;
            fill.published(total);
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
        try {
            // the data must be on disk before the rename makes it an entry: a power cut must not leave a
            // complete-looking file with a zero-filled tail
            out.force(true);
            out.close();
        } catch (final IOException e) {
            diskFailure(e);
            return;
        }
        host.commit(fill, meta.withLength(total));
    }

    private void integrityFailure(final String what, final Object expected, final Object actual) {
        if (fill.fail(new IOException("Wrong " + what + ": expected " + expected + ", got " + actual), true)) {
            LOG.warn("Fill of {} not cached: wrong {}, expected {}, actual {}", fill.key(), what, expected, actual);
        }
    }

    private void diskFailure(final IOException e) {
        host.diskError("Cannot write the fill of " + fill.key(), e);
        fill.fail(new IOException("Cache disk write failed: " + e.getMessage(), e), true);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
