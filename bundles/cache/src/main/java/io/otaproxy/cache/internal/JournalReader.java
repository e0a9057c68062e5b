package io.otaproxy.cache.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Reads a journal front to back and hands each record to a consumer. Only the last line may be damaged (a write
 * cut short by a power loss, or an unflushed tail filled with zeros): it is skipped. A damaged line with more
 * lines after it means the file is not what we wrote, and the whole journal is refused.
 */
final class JournalReader {

    private static final byte[] HEADER = JournalCodec.HEADER.getBytes(StandardCharsets.US_ASCII);
    /** Also the longest line accepted: ours are far shorter, even with long escaped header values. */
    private static final int BUFFER = 1 << 20;

    private final Map<String, String> shared = new HashMap<>();
    private int records;
    private boolean tornTail;
    private boolean headerSeen;

    /** Number of records read. */
    int records() {
        return records;
    }

    /** Whether the file was whole: a header, every line complete. Appending to it is then safe. */
    boolean clean() {
        return headerSeen && !tornTail;
    }

    /** Whether a damaged last line was skipped. */
    boolean tornTail() {
        return tornTail;
    }

    /** Reads {@code journal}; a missing file reads as empty. */
    void read(final Path journal, final Consumer<JournalRecord> replay) throws IOException {
        try (InputStream in = Files.newInputStream(journal)) {
            read(in, replay);
        } catch (final NoSuchFileException e) {
            // first start: nothing recorded yet
        }
    }

    private void read(final InputStream in, final Consumer<JournalRecord> replay) throws IOException {
        final byte[] buf = new byte[BUFFER];
        int start = 0;
        int end = 0;
        long lineNo = 0;
        long damagedLine = -1;
        boolean skipping = false; // inside a line too long to be ours (e.g. a zero-filled tail): discard it
        while (true) {
            final int nl = indexOf(buf, start, end);
            if (nl < 0) {
                if (skipping || end - start == buf.length) {
                    skipping = true;
                    damagedLine = damagedLine >= 0 ? damagedLine : lineNo;
                    start = 0;
                    end = 0;
                } else if (start > 0) { // keep the partial line, make room behind it
                    System.arraycopy(buf, start, buf, 0, end - start);
                    end -= start;
                    start = 0;
                }
                final int n = in.read(buf, end, buf.length - end);
                if (n < 0) {
                    break;
                }
                end += n;
                continue;
            }
            if (skipping) {
                skipping = false;
            } else if (damagedLine >= 0) {
                throw new CorruptJournalException("damaged line " + damagedLine + " is followed by more lines");
            } else if (lineNo == 0) {
                if (!Arrays.equals(buf, start, nl, HEADER, 0, HEADER.length)) {
                    throw new CorruptJournalException("unknown journal header");
                }
                headerSeen = true;
            } else {
                final JournalRecord record = JournalCodec.decode(buf, start, nl - start, this::shared);
                if (record == null) {
                    damagedLine = lineNo;
                } else {
                    records++;
                    replay.accept(record);
                }
            }
            lineNo++;
            start = nl + 1;
        }
        // a line without its newline, or a damaged final line, was never acknowledged: a torn tail
        tornTail = damagedLine >= 0 || skipping || end > start;
        if (!headerSeen && (skipping || end > start && !startsWithHeaderPrefix(buf, start, end))) {
            throw new CorruptJournalException("unknown journal header");
        }
    }

    private String shared(final String value) {
        return value == null ? null : shared.computeIfAbsent(value, v -> v);
    }

    private static boolean startsWithHeaderPrefix(final byte[] buf, final int start, final int end) {
        final int n = Math.min(end - start, HEADER.length);
        return Arrays.equals(buf, start, start + n, HEADER, 0, n);
    }

    private static int indexOf(final byte[] buf, final int from, final int to) {
        for (int i = from; i < to; i++) {
            if (buf[i] == '\n') {
                return i;
            }
        }
        return -1;
    }
}
