package io.otaproxy.api.cache;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A download of one key into the cache, shared by every request for that key. The request that opened it is
 * the leader: it fetches the response head from upstream and then either begins the fill with {@link #begin}
 * or gives up with {@link #abandon} (not a cacheable answer). From {@link #begin} on, the leader pushes the body
 * into the fill through its {@link Writer}, on a thread of its own: the store runs none of the caller's I/O. Every
 * client, the leader included, reads the fill through its own {@link FillReader} as bytes reach the disk.
 */
@ProviderType
public interface Fill {

    /** The cache key. */
    String key();

    /** Whether the caller of {@link CacheStore#fill} opened this fill and must begin or abandon it. */
    boolean isLeader();

    /**
     * Leader only: the response head has arrived; the caller now pushes the body through the returned writer, from
     * one thread at a time, and ends it with {@link Writer#complete} or {@link Writer#fail}. The store checks the
     * length ({@code meta.length()}, or -1 when unknown) and the sha256 when {@code meta.fileSha256()} is set, and
     * commits the entry only if both hold. {@code onAbort} (may be null) runs once if the store gives the fill up
     * while the body is still coming (a failure, no reader left, the store stopping), so the caller can close its
     * upstream connection at once; it runs on the thread that gave the fill up and must only close or signal,
     * never block. When the fill was dropped before the leader came back (the store closing), the writer takes
     * nothing and {@link #newReader} says why.
     *
     * @since 2.0
     */
    Writer begin(EntryMeta meta, Runnable onAbort);

    /**
     * After {@link #begin}: the download goes on to its end for the cache even while no client reads it, as long as
     * it is written to disk. Asked when a client wants part of the body only (a range, served from the fill or
     * fetched on its own): clients that split a file into ranges, or resume one, leave the whole file cached. Asked
     * by the leader, the key is no longer held for it: its client, if it reads the fill at all, opens a reader as a
     * joiner does.
     *
     * @since 2.1
     */
    void runToEnd();

    /**
     * This caller is done deciding how it uses the fill. Whatever the store still keeps for a reader it has not
     * opened is given up: a joiner's hold on the start of the body, the leader's reserved reader slot and pin (then
     * the download goes on only while someone reads it, unless {@link #runToEnd}). A reader already opened is not
     * affected. Idempotent; callers call it on every path once their reader is open or they fetch on their own.
     *
     * @since 2.1
     */
    void release();

    /** Leader only: upstream gave no cacheable answer; waiting joiners are released to fetch on their own. */
    void abandon();

    /**
     * Joiners: waits until the leader begins or abandons the fill.
     *
     * @return true once begun, false if abandoned or if the wait timed out
     */
    boolean awaitBegun(long timeoutMillis) throws InterruptedException;

    /**
     * Joiners: runs {@code callback} once, as soon as the leader has begun or abandoned the fill (at once, on the
     * calling thread, if it already has), without holding a thread meanwhile. A fill whose leader never comes back
     * is dropped by the store after its begin timeout, which runs the callback too. The callback runs on whatever
     * thread ended the wait: it must only hand the work on, never block.
     *
     * @since 1.3
     */
    void whenBegun(Runnable callback);

    /** Whether the fill has begun: after {@link #whenBegun} ran, true if it began, false if it was abandoned. */
    boolean isBegun();

    /** The metadata given to {@link #begin}; null before. */
    EntryMeta meta();

    /** Bytes on disk so far. */
    long bytesOnDisk();

    /** Opens a reader from the start of the body. Call only after the fill has begun. */
    FillReader newReader() throws IOException;

    /**
     * The leader's side of a begun fill: the upstream body, pushed in order. Calls come from one thread at a time.
     * A writer that stops calling is failed by the store after a long silence, so no fill waits for it forever.
     *
     * @since 2.0
     */
    @ProviderType
    interface Writer {

        /**
         * Appends {@code length} bytes of the body. While the fill hands its body to readers through memory (it
         * stopped writing to disk) and they are behind, this waits for them: the slowest reader paces upstream.
         *
         * @return false when the fill takes no more bytes (failed, given up with no reader left, the store stopping):
         *         stop reading upstream and close it
         */
        boolean append(byte[] bytes, int offset, int length);

        /**
         * The body ended: checks length and sha256, makes the entry durable and commits it.
         *
         * @return whether the body was accepted whole (committed, or relayed whole to its readers)
         */
        boolean complete();

        /** Upstream failed before the end of the body: the fill fails, its readers get {@code cause}. */
        void fail(IOException cause);
    }

    /** A client's view of the body of a fill. */
    @ProviderType
    interface FillReader extends AutoCloseable {

        /**
         * Reads up to {@code buffer.length - offset} bytes starting at {@code position} of the body, waiting until
         * they are on disk. Returns -1 at the end of a complete, verified body. Throws when the fill failed (upstream
         * error, wrong length or sha256, disk error): the caller must then abort its client connection. The last
         * bytes of a body are released only after it has been verified, so a wrong file never looks complete.
         */
        int read(long position, byte[] buffer, int offset, int length) throws IOException, InterruptedException;

        /**
         * As {@link #read(long, byte[], int, int)}, into the remaining space of {@code target} (advancing its
         * position): with a direct buffer, a store can read its file without a copy through the heap.
         *
         * @since 1.2
         */
        default int read(final long position, final ByteBuffer target) throws IOException, InterruptedException {
            final byte[] bytes = new byte[target.remaining()];
            final int n = read(position, bytes, 0, bytes.length);
            if (n > 0) {
                target.put(bytes, 0, n);
            }
            return n;
        }

        /**
         * Reads without waiting: up to the remaining space of {@code target} at {@code position}, only what may be
         * read now. Returns the bytes read, 0 when none may be read yet (then ask {@link #whenReadable}), or -1 at
         * the end of a complete, verified body. Throws when the fill failed, as {@link #read(long, ByteBuffer)}.
         *
         * @since 1.3
         */
        int readNow(long position, ByteBuffer target) throws IOException;

        /**
         * Runs {@code callback} once, as soon as bytes at {@code position} may be read, the body has ended or the
         * fill has failed (at once, on the calling thread, if that is so already). At most one callback per reader
         * waits at a time. The callback runs on the thread that published the bytes: it must only hand the work
         * on, never block or read.
         *
         * @since 1.3
         */
        void whenReadable(long position, Runnable callback);

        @Override
        void close();
    }
}
