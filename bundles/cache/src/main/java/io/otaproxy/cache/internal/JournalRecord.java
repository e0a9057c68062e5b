package io.otaproxy.cache.internal;

import io.otaproxy.api.cache.EntryMeta;

/** One line of the index journal: an entry committed, removed, or read. Later lines override earlier ones. */
sealed interface JournalRecord {

    String key();

    /** A complete, verified entry whose data file has been renamed into place and made durable. */
    record Commit(String key, EntryMeta meta, long lastAccessMillis) implements JournalRecord {
    }

    /** The entry left the cache; its data file is deleted after this record is durable. */
    record Remove(String key) implements JournalRecord {
    }

    /** The entry was read at {@code accessMillis}; written lazily, so a power cut may lose some. */
    record Access(String key, long accessMillis) implements JournalRecord {
    }
}
