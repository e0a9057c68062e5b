package io.otaproxy.cache.internal;

/**
 * Timings and sizes of the store that are not user configuration; tests pass small values instead of waiting.
 *
 * @param graceMillis         how long running fills may finish when the store closes before they are failed
 * @param beginTimeoutMillis  how long a leader may take to begin or abandon before its fill is dropped
 * @param flushIntervalMillis how often access times go to the journal and stale fills are swept
 * @param chunkBytes          bytes read from upstream per step; large, so a fast upstream costs few syscalls
 */
record StoreTunables(long graceMillis, long beginTimeoutMillis, long flushIntervalMillis, int chunkBytes) {

    static final StoreTunables DEFAULTS = new StoreTunables(10_000, 60_000, 2_000, 128 * 1024);
}
