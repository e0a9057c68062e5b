package io.otaproxy.cache.internal;

import java.io.IOException;

/** The journal cannot be trusted: a damaged line before its end, or a header that is not ours. */
final class CorruptJournalException extends IOException {

    private static final long serialVersionUID = 1L;

    CorruptJournalException(final String message) {
        super(message);
    }
}
