package io.otaproxy.cache.internal;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The append side of the index journal. Commits and removals are made durable before the caller goes on
 * (group commit: one fsync covers every line written before it, so concurrent commits share it); access records
 * are only written and ride along with the next fsync. Callers must keep {@link #rewrite} from running
 * concurrently with appends.
 *
 * <p>A durable append may name a directory to force first (where a commit's rename happened): the record must
 * never be on disk before the rename it points to. Appends that arrive while a batch is being forced form the
 * next batch, which forces each of its directories once, writes all its lines, and forces the journal once.
 *
 * <p>No thread's interrupt may end the journal: it is the store's, and a FileChannel closes itself for every
 * thread when one thread using it is interrupted (Jetty interrupts its threads when it stops). Every file
 * operation runs {@link #uninterruptibly}: with the caller's interrupt status cleared, and once more, on the
 * journal opened again, if an interrupt closed the channel all the same.
 */
final class EntryJournal implements Closeable {

    private static final byte[] HEADER_LINE = (JournalCodec.HEADER + "\n").getBytes(StandardCharsets.US_ASCII);

    private final Path file;
    private final Path temp;
    private final Object writeLock = new Object();
    private final Object forceLock = new Object();

    private FileChannel channel; // guarded by writeLock
    private boolean closed; // guarded by writeLock
    private long goodSize; // guarded by writeLock: end of the last whole line
    private volatile long writtenSeq;
    private long forcedSeq; // guarded by forceLock
    private volatile long appendedSinceRewrite;
    private final Object groupLock = new Object();
    private final List<Pending> pending = new ArrayList<>(); // guarded by groupLock
    private boolean leading; // guarded by groupLock: a thread is forcing a batch

    private EntryJournal(final Path file, final Path temp) {
        this.file = file;
        this.temp = temp;
    }

    /** Writes a compact journal holding exactly {@code live} and opens it for appending. */
    static EntryJournal create(final Path file, final Path temp, final Iterable<StoredEntry> live)
            throws IOException {
        final EntryJournal journal = new EntryJournal(file, temp);
        journal.rewrite(live);
        return journal;
    }

    /** Opens a whole journal (as {@link JournalReader#clean} says) for appending, without rewriting it. */
    static EntryJournal append(final Path file, final Path temp, final long garbage) throws IOException {
        final EntryJournal journal = new EntryJournal(file, temp);
        synchronized (journal.writeLock) {
            journal.goodSize = Files.size(file); // a stat, not a call on the channel: no interrupt can close it
            journal.channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            journal.appendedSinceRewrite = garbage;
        }
        return journal;
    }

    /**
     * Replaces the journal by one commit record per live entry: written to a temp file, forced, renamed over the
     * old journal and the directory forced, so a crash leaves either the old journal or the new one, whole.
     */
    void rewrite(final Iterable<StoredEntry> live) throws IOException {
        synchronized (writeLock) {
            if (closed) {
                throw closedException();
            }
            uninterruptibly(() -> rewriteOnce(live)); // from the start again: the temp file is truncated first
        }
    }

    /**
     * The descriptor switches to the new journal right after the rename, before anything else may fail: the old
     * one would append to a file no longer linked, and every record written there would be lost. No append runs
     * before this returns, so the directory may as well be forced after the switch.
     */
    private void rewriteOnce(final Iterable<StoredEntry> live) throws IOException {
        long size = HEADER_LINE.length;
        try (OutputStream out = new BufferedOutputStream(Channels.newOutputStream(FileChannel.open(temp,
                StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)),
                1 << 16)) {
            out.write(HEADER_LINE);
            for (final StoredEntry e : live) {
                final byte[] line = JournalCodec.encode(e.toCommitRecord());
                out.write(line);
                size += line.length;
            }
        }
        try (FileChannel tmp = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            tmp.force(true);
        }
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        final FileChannel old = channel;
        channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        goodSize = size; // counted, not asked of the new channel: no interrupt can leave it stale
        appendedSinceRewrite = 0;
        if (old != null) {
            closeQuietly(old); // everything written through it is in the new journal's records
        }
        StoreLayout.forceDirectory(file.getParent());
    }

    /** Appends a record and returns once it is on stable storage. */
    void appendDurably(final JournalRecord record) throws IOException {
        appendDurably(record, null);
    }

    /**
     * Forces {@code directoryFirst} (if not null), then appends the record, and returns once it is on stable
     * storage. Concurrent callers share the directory fsyncs and the journal fsync of one batch.
     */
    void appendDurably(final JournalRecord record, final Path directoryFirst) throws IOException {
        final Pending mine = new Pending(JournalCodec.encode(record), directoryFirst);
        final List<Pending> batch;
        boolean interrupted = false;
        synchronized (groupLock) {
            pending.add(mine);
            while (leading && !mine.done) {
                try {
                    groupLock.wait();
                } catch (final InterruptedException e) {
                    interrupted = true; // the record is queued: its outcome must still be awaited
                }
            }
            if (!mine.done) {
                leading = true;
                batch = new ArrayList<>(pending);
                pending.clear();
            } else {
                batch = null;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (batch != null) {
            IOException failure = null;
            try {
                writeBatch(batch);
            } catch (final IOException e) {
                failure = e;
            }
            synchronized (groupLock) {
                for (final Pending p : batch) {
                    p.failure = failure;
                    p.done = true;
                }
                leading = false;
                groupLock.notifyAll();
            }
        }
        if (mine.failure != null) {
            throw new IOException(mine.failure.getMessage(), mine.failure);
        }
    }

    private void writeBatch(final List<Pending> batch) throws IOException {
        final Set<Path> directories = new LinkedHashSet<>();
        int size = 0;
        for (final Pending p : batch) {
            if (p.directoryFirst != null) {
                directories.add(p.directoryFirst);
            }
            size += p.line.length;
        }
        for (final Path dir : directories) {
            uninterruptibly(() -> StoreLayout.forceDirectory(dir));
        }
        final ByteBuffer lines = ByteBuffer.allocate(size);
        for (final Pending p : batch) {
            lines.put(p.line);
        }
        syncTo(write(lines.array(), batch.size()));
    }

    /** A durable append waiting for its batch. Fields guarded by groupLock. */
    private static final class Pending {
        final byte[] line;
        final Path directoryFirst;
        boolean done;
        IOException failure;

        Pending(final byte[] line, final Path directoryFirst) {
            this.line = line;
            this.directoryFirst = directoryFirst;
        }
    }

    /** Returns once every line written so far is on stable storage: one fsync for a batch of appends. */
    void sync() throws IOException {
        syncTo(writtenSeq);
    }

    private void syncTo(final long seq) throws IOException {
        synchronized (forceLock) {
            if (forcedSeq >= seq) {
                return; // another thread's fsync already covered our line
            }
            final long target = writtenSeq;
            // a descriptor opened again after an interrupt forces the lines written through the old one: an fsync
            // covers the file, not the descriptor
            uninterruptibly(() -> {
                final FileChannel ch;
                synchronized (writeLock) {
                    ch = openChannel();
                }
                ch.force(false);
            });
            forcedSeq = target;
        }
    }

    /** Appends records without waiting for stable storage. */
    void append(final List<? extends JournalRecord> records) throws IOException {
        if (records.isEmpty()) {
            return;
        }
        final ByteArrayOutputStream lines = new ByteArrayOutputStream(records.size() * 90);
        for (final JournalRecord r : records) {
            lines.writeBytes(JournalCodec.encode(r));
        }
        write(lines.toByteArray(), records.size());
    }

    /** Records appended since the journal was last rewritten: the measure of its garbage. */
    long appendedSinceRewrite() {
        return appendedSinceRewrite;
    }

    private long write(final byte[] bytes, final int count) throws IOException {
        synchronized (writeLock) {
            uninterruptibly(() -> writeOnce(bytes));
            goodSize += bytes.length;
            appendedSinceRewrite += count;
            return ++writtenSeq;
        }
    }

    /** Writes whole lines after the last whole line, or fails; may be repeated after it failed. Holds writeLock. */
    private void writeOnce(final byte[] bytes) throws IOException {
        final FileChannel ch = openChannel();
        try {
            final ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        } catch (final ClosedChannelException e) {
            throw e; // closed under the write: what part of the lines got written is cut off when it is reopened
        } catch (final IOException e) {
            // never leave half a line mid-journal: the reader would refuse everything after it
            try {
                ch.truncate(goodSize);
            } catch (final IOException again) {
                ch.close(); // the next append opens the journal again and cuts it there first
                e.addSuppressed(again);
            }
            throw e;
        }
    }

    /**
     * The channel to append to, opened again if it was closed under the journal (an interrupt, or a write error
     * the journal could not be cut back from). The journal is first cut back to its last whole line: whatever
     * part of a line an interrupted write left after it was never acknowledged, and is written again whole if
     * that write is repeated. Holds writeLock.
     */
    private FileChannel openChannel() throws IOException {
        if (closed || channel == null) {
            throw closedException();
        }
        if (!channel.isOpen()) {
            final FileChannel reopened = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            try {
                reopened.truncate(goodSize);
            } catch (final IOException e) {
                reopened.close();
                throw e;
            }
            channel = reopened;
        }
        return channel;
    }

    private IOException closedException() {
        return new IOException("journal " + file + " is closed");
    }

    /** A file operation of the journal; it must be safe to repeat after it failed, wherever it failed. */
    @FunctionalInterface
    private interface JournalIo {
        void run() throws IOException;
    }

    /**
     * Runs {@code io} with the caller's interrupt status cleared, and sets it again afterwards: the thread still
     * sees its interrupt, at its next wait, and no channel closes because of it. An interrupt that arrives during
     * a system call, to this thread or to another one using the journal's channel, closes the channel all the same
     * (the JDK's public API cannot prevent that): {@code io} then fails with a ClosedChannelException and runs
     * once more, on the journal opened again.
     */
    private static void uninterruptibly(final JournalIo io) throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            try {
                io.run();
            } catch (final ClosedChannelException e) {
                interrupted |= Thread.interrupted();
                try {
                    io.run();
                } catch (final IOException again) {
                    again.addSuppressed(e);
                    throw again;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void closeQuietly(final FileChannel ch) {
        try {
            ch.close();
        } catch (final IOException e) {
            // nothing to lose: the caller no longer writes through it
        }
    }

    /** Forces what was appended and closes the journal; a channel an interrupt closed is opened again to force. */
    @Override
    public void close() throws IOException {
        synchronized (writeLock) {
            if (closed || channel == null) {
                closed = true;
                return;
            }
            try {
                uninterruptibly(() -> openChannel().force(false));
            } finally {
                closed = true;
                channel.close();
            }
        }
    }
}
