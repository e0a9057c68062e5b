package io.otaproxy.cache.internal;

/**
 * Timings and sizes of the store that are not user configuration; tests pass small values instead of waiting.
 *
 * @param graceMillis         how long running fills may finish when the store closes before they are failed
 * @param beginTimeoutMillis  how long a leader may take to begin or abandon before its fill is dropped
 * @param flushIntervalMillis how often access times go to the journal, stale fills are swept and space is checked
 * @param writerSilenceMillis how long a begun fill's writer may go without a call before the fill is failed: a
 *                            leader that went away without ending its body must not hold readers forever; far
 *                            longer than any upstream read timeout, so it only ever catches a lost writer
 * @param relayWindowBytes    memory per fill that stopped writing to disk, holding the bytes its readers have not
 *                            all read yet; 4 MiB is a few seconds of a fast download, enough that readers of
 *                            similar speed never wait on each other, and small enough for a few dozen at once on
 *                            a gateway
 * @param relayBudgetBytes    memory all relay windows together may hold; 16 MiB is four windows full at once, and
 *                            any number of fills share it at the pace of their readers, so the hard limit crossed
 *                            under a hundred downloads costs no more heap than under four
 * @param writeRetryMillis    after a disk write failed, how long no new fill is started (new requests are
 *                            relayed); then caching is tried again by itself
 */
record StoreTunables(long graceMillis, long beginTimeoutMillis, long flushIntervalMillis, long writerSilenceMillis,
        int relayWindowBytes, long relayBudgetBytes, long writeRetryMillis) {

    static final StoreTunables DEFAULTS = new StoreTunables(10_000, 60_000, 2_000, 600_000, 4 << 20, 16L << 20,
            10_000);

    StoreTunables(final long graceMillis, final long beginTimeoutMillis, final long flushIntervalMillis) {
        this(graceMillis, beginTimeoutMillis, flushIntervalMillis, DEFAULTS.writerSilenceMillis(),
                DEFAULTS.relayWindowBytes(), DEFAULTS.relayBudgetBytes(), DEFAULTS.writeRetryMillis());
    }

    StoreTunables withRelayWindow(final int bytes) {
        return new StoreTunables(graceMillis, beginTimeoutMillis, flushIntervalMillis, writerSilenceMillis, bytes,
                relayBudgetBytes, writeRetryMillis);
    }

    StoreTunables withRelayBudget(final long bytes) {
        return new StoreTunables(graceMillis, beginTimeoutMillis, flushIntervalMillis, writerSilenceMillis, relayWindowBytes,
                bytes, writeRetryMillis);
    }

    StoreTunables withWriteRetry(final long millis) {
        return new StoreTunables(graceMillis, beginTimeoutMillis, flushIntervalMillis, writerSilenceMillis, relayWindowBytes,
                relayBudgetBytes, millis);
    }

    StoreTunables withWriterSilence(final long millis) {
        return new StoreTunables(graceMillis, beginTimeoutMillis, flushIntervalMillis, millis, relayWindowBytes,
                relayBudgetBytes, writeRetryMillis);
    }

    StoreTunables withFlushInterval(final long millis) {
        return new StoreTunables(graceMillis, beginTimeoutMillis, millis, writerSilenceMillis, relayWindowBytes,
                relayBudgetBytes, writeRetryMillis);
    }
}
