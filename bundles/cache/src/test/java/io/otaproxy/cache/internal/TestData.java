package io.otaproxy.cache.internal;

import static org.junit.Assert.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;

import io.otaproxy.api.cache.CacheEntry;
import io.otaproxy.api.cache.EntryMeta;
import io.otaproxy.api.cache.Fill;
import io.otaproxy.api.space.DiskMonitor;

/** Keys, bodies and small helpers shared by the cache tests. */
final class TestData {

    /** A short grace period; no background flush during a test (tests flush explicitly). */
    static final StoreTunables FAST = new StoreTunables(2_000, 60_000, 60_000);

    private TestData() {
    }

    static String key(final int n) {
        return sha256(("key-" + n).getBytes());
    }

    static byte[] bytes(final int length, final long seed) {
        final byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    static String sha256(final byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (final Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static FileCacheStore open(final Path dir) throws IOException {
        return open(dir, FAST, false, () -> null, System::currentTimeMillis);
    }

    static FileCacheStore open(final Path dir, final StoreTunables t, final boolean alwaysFinish,
            final Supplier<DiskMonitor> disk, final LongSupplier clock)
            throws IOException {
        return FileCacheStore.open(dir, t, alwaysFinish, disk, clock);
    }

    /** Reads a fill's body to its end (or its failure) in small steps. */
    static byte[] readAll(final Fill.FillReader reader) throws IOException, InterruptedException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final byte[] buf = new byte[7000];
        long pos = 0;
        for (int n; (n = reader.read(pos, buf, 0, buf.length)) >= 0;) {
            out.write(buf, 0, n);
            pos += n;
        }
        return out.toByteArray();
    }

    static byte[] readAll(final CacheEntry entry) throws IOException {
        try (FileChannel ch = entry.open()) {
            final ByteBuffer buf = ByteBuffer.allocate((int) ch.size());
            while (buf.hasRemaining() && ch.read(buf) >= 0) {
                // keep reading
            }
            return buf.array();
        }
    }

    /** What a fill of {@code body} is told about it: its length, a type and its sha256. */
    static EntryMeta meta(final byte[] body) {
        return new EntryMeta(body.length, "application/octet-stream", null, sha256(body), null);
    }

    /**
     * Reads a fill's body to its end on one of {@code threads}, {@code step} bytes at a time, publishing in
     * {@code progress} how many bytes arrived so far; closes the reader.
     */
    static Future<byte[]> readInBackground(final ExecutorService threads, final Fill.FillReader reader,
            final int step, final AtomicLong progress) {
        return threads.submit(() -> {
            try (reader) {
                final ByteArrayOutputStream out = new ByteArrayOutputStream();
                final byte[] buf = new byte[step];
                for (int n; (n = reader.read(progress.get(), buf, 0, buf.length)) >= 0;) {
                    out.write(buf, 0, n);
                    progress.addAndGet(n);
                }
                return out.toByteArray();
            }
        });
    }

    /** Waits until the store has no temp file left, on disk or in its count of temp bytes. */
    static void awaitNoTempFiles(final FileCacheStore store) throws InterruptedException {
        await("temp files are deleted and no longer counted", 5_000, () -> {
            try (Stream<Path> s = Files.list(store.layout().tmpDir())) {
                return s.findAny().isEmpty() && store.tempBytes() == 0;
            } catch (final IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** Polls until {@code condition} holds; fails the test after {@code millis}. */
    static void await(final String what, final long millis, final BooleanSupplier condition)
            throws InterruptedException {
        final long deadline = System.nanoTime() + millis * 1_000_000;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting until " + what);
            }
            Thread.sleep(2);
        }
    }

    /** A clock the test moves by hand. */
    static final class ManualClock implements LongSupplier {
        private final AtomicLong now = new AtomicLong(1_700_000_000_000L);

        @Override
        public long getAsLong() {
            return now.get();
        }

        void advance(final long millis) {
            now.addAndGet(millis);
        }
    }
}
