package io.otaproxy.cache.internal;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up, the part that must finish before the store serves: prepare the directories, delete the temp files of
 * fills that a stop or crash interrupted, and read the journal into the index.
 *
 * <p>It deliberately does not look at the data files: listing and stat-ing 600 000 files costs seconds, and the
 * commit protocol already guarantees that a recorded file was complete and durable before its record was written.
 * What only outside damage can cause (a missing or resized file, an orphan) is found by {@link StartupScan} in
 * the background, and until then {@link StoredEntry#open} refuses a file whose size is not the recorded one, so
 * a wrong file is never served.
 */
final class StoreRecovery {

    /** What start-up found, and the trash directories left for the background scan. */
    record Result(List<Path> trash, int journalRecords, int tempFiles, boolean corruptJournal, boolean tornTail,
            boolean journalClean) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(StoreRecovery.class);

    private final StoreLayout layout;
    private final StoredEntry.EntryFiles files;

    StoreRecovery(final StoreLayout layout, final StoredEntry.EntryFiles files) {
        this.layout = layout;
        this.files = files;
    }

    /** Fills {@code index} from the journal and prepares the directories for new fills. */
    Result recover(final Map<String, StoredEntry> index) throws IOException {
        boolean created = StoreLayout.ensureDirectory(layout.base());
        created |= StoreLayout.ensureDirectory(layout.dataDir());
        created |= StoreLayout.ensureDirectory(layout.tmpDir());
        if (created) {
            StoreLayout.forceDirectory(layout.base());
            StoreLayout.forceDirectory(layout.base().getParent());
        }
        final int tempFiles = deleteTempFiles();

        final JournalReader reader = new JournalReader();
        boolean corrupt = false;
        try {
            reader.read(layout.journal(), record -> replay(index, record));
        } catch (final CorruptJournalException e) {
            // when in doubt, drop: files we cannot vouch for are never served
            LOG.error("Cache journal {} is corrupt ({}); starting with an empty cache", layout.journal(),
                    e.getMessage());
            index.clear();
            corrupt = true;
            Files.move(layout.dataDir(), layout.newTrashDir(), StandardCopyOption.ATOMIC_MOVE);
            Files.createDirectories(layout.dataDir());
        }

        boolean fanOutCreated = false;
        for (int p = 0; p < 256; p++) {
            fanOutCreated |= StoreLayout.ensureDirectory(layout.fanOutDir(p));
        }
        if (fanOutCreated) {
            StoreLayout.forceDirectory(layout.dataDir());
        }
        return new Result(listTrash(), reader.records(), tempFiles, corrupt, reader.tornTail(),
                !corrupt && reader.clean());
    }

    private void replay(final Map<String, StoredEntry> index, final JournalRecord record) {
        if (record instanceof JournalRecord.Commit c) {
            index.put(c.key(), new StoredEntry(c.key(), c.meta(), c.lastAccessMillis(), files));
        } else if (record instanceof JournalRecord.Remove) {
            index.remove(record.key());
        } else {
            final StoredEntry e = index.get(record.key());
            if (e != null) {
                e.restoreAccess(((JournalRecord.Access) record).accessMillis());
            }
        }
    }

    private int deleteTempFiles() throws IOException {
        int n = 0;
        try (DirectoryStream<Path> temps = Files.newDirectoryStream(layout.tmpDir())) {
            for (final Path t : temps) {
                // a fill of the previous run: never renamed into place, so never an entry
                StartupScan.deleteTree(t);
                n++;
            }
        }
        return n;
    }

    private List<Path> listTrash() throws IOException {
        final List<Path> trash = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(layout.base(), StoreLayout.TRASH_PREFIX + "*")) {
            dirs.forEach(trash::add);
        }
        return trash;
    }
}
