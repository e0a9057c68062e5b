package io.otaproxy.cache.internal;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
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
 */
final class EntryJournal implements Closeable {

    private static final byte[] HEADER_LINE = (JournalCodec.HEADER + "\n").getBytes(StandardCharsets.US_ASCII);

    private final Path file;
    private final Path temp;
    private final Object writeLock = new Object();
    private final Object forceLock = new Object();

    private FileChannel channel; // guarded by writeLock
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
            journal.channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            journal.goodSize = journal.channel.size();
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
            try (OutputStream out = new BufferedOutputStream(Channels.newOutputStream(FileChannel.open(temp,
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)),
                    1 << 16)) {
                out.write(HEADER_LINE);
                for (final StoredEntry e : live) {
                    out.write(JournalCodec.encode(e.toCommitRecord()));
                }
            }
            try (FileChannel tmp = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                tmp.force(true);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            StoreLayout.forceDirectory(file.getParent());
            if (channel != null) {
                channel.close();
            }
            channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            goodSize = channel.size();
            appendedSinceRewrite = 0;
        }
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
            StoreLayout.forceDirectory(dir);
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
            final FileChannel ch;
            synchronized (writeLock) {
                ch = channel;
            }
            ch.force(false);
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
            if (channel == null || !channel.isOpen()) {
                throw new IOException("journal " + file + " is closed");
            }
            try {
                final ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    channel.write(buf);
                }
            } catch (final IOException e) {
                // never leave half a line mid-journal: the reader would refuse everything after it
                try {
                    channel.truncate(goodSize);
                } catch (final IOException again) {
                    channel.close();
                    e.addSuppressed(again);
                }
                throw e;
            }
            goodSize += bytes.length;
            appendedSinceRewrite += count;
            return ++writtenSeq;
        }
    }

    @Override
    public void close() throws IOException {
        synchronized (writeLock) {
            if (channel != null && channel.isOpen()) {
                try {
                    channel.force(false);
                } finally {
                    channel.close();
                }
            }
        }
    }
}
