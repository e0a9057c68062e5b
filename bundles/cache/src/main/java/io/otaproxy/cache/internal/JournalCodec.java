package io.otaproxy.cache.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32;

import io.otaproxy.api.cache.EntryMeta;

/**
 * Text form of journal records: one ASCII line per record, tab-separated fields, and a CRC32 of the line as the
 * last field. The checksum is what tells a torn or zero-filled tail after a power cut from a real record.
 *
 * <pre>
 * C &lt;key&gt; &lt;length&gt; &lt;lastAccessMillis&gt; &lt;contentType&gt; &lt;contentEncoding&gt; &lt;fileSha256&gt; &lt;compressionAlg&gt; [&lt;receivedMillis&gt; &lt;headers&gt; &lt;variant&gt;] &lt;crc&gt;
 * R &lt;key&gt; &lt;crc&gt;
 * A &lt;key&gt; &lt;accessMillis&gt; &lt;crc&gt;
 * </pre>
 *
 * A missing value is a lone {@code -}; other values are percent-escaped (%, control characters, non-ASCII as
 * UTF-8 bytes, and a value that is exactly "-"), so any header value survives a round trip. The three fields in
 * brackets are written only when the entry has stored headers or a variant; a commit record without them (all
 * records of a journal written before they existed) reads as an entry without them.
 */
final class JournalCodec {

    /** First line of every journal; a journal with another first line is not ours to read. */
    static final String HEADER = "ota-proxy-cache-journal 1";

    private static final char SEP = '\t';
    private static final String NONE = "-";
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private JournalCodec() {
    }

    /** The record as one line, newline included. */
    static byte[] encode(final JournalRecord record) {
        final StringBuilder line = new StringBuilder(160);
        if (record instanceof JournalRecord.Commit c) {
            final EntryMeta m = c.meta();
            line.append('C').append(SEP).append(c.key()).append(SEP).append(m.length()).append(SEP)
                    .append(Math.max(0, c.lastAccessMillis()));
            appendField(line, m.contentType());
            appendField(line, m.contentEncoding());
            appendField(line, m.fileSha256());
            appendField(line, m.compressionAlg());
            if (m.headers() != null || m.variant() != null || m.receivedMillis() > 0) {
                line.append(SEP).append(m.receivedMillis());
                appendField(line, m.headers());
                appendField(line, m.variant());
            }
        } else if (record instanceof JournalRecord.Remove r) {
            line.append('R').append(SEP).append(r.key());
        } else {
            final JournalRecord.Access a = (JournalRecord.Access) record;
            line.append('A').append(SEP).append(a.key()).append(SEP).append(Math.max(0, a.accessMillis()));
        }
        final byte[] body = line.toString().getBytes(StandardCharsets.US_ASCII);
        final String crc = crcHex(body, 0, body.length);
        final byte[] out = new byte[body.length + 1 + crc.length() + 1];
        System.arraycopy(body, 0, out, 0, body.length);
        out[body.length] = (byte) SEP;
        for (int i = 0; i < crc.length(); i++) {
            out[body.length + 1 + i] = (byte) crc.charAt(i);
        }
        out[out.length - 1] = '\n';
        return out;
    }

    /**
     * Parses one line (without its newline). Works on the bytes directly: start-up parses 600 000 of these, and
     * a split into substrings per line would cost a good part of a second.
     *
     * @param shared maps a decoded header value to an equal shared instance (start-up keeps 600 000 entries and
     *               most share a handful of content types)
     * @return the record, or null when the line is damaged or not a record
     */
    static JournalRecord decode(final byte[] buf, final int off, final int len, final UnaryOperator<String> shared) {
        final int bodyEnd = off + len - 9;
        if (len < 11 || buf[bodyEnd] != SEP || buf[off + 1] != SEP) {
            return null;
        }
        final long stored = parseLowerHex(buf, bodyEnd + 1, 8);
        final CRC32 crc = new CRC32();
        crc.update(buf, off, bodyEnd - off);
        if (stored < 0 || crc.getValue() != stored) {
            return null;
        }
        final Fields f = new Fields(buf, off + 2, bodyEnd);
        try {
            final String key = f.next();
            if (!KeyFormat.isValid(key)) {
                return null;
            }
            final JournalRecord record;
            switch (buf[off]) {
                case 'C':
                    final long length = f.nextLong();
                    final long lastAccess = f.nextLong();
                    final String type = shared.apply(f.nextValue());
                    final String encoding = shared.apply(f.nextValue());
                    final String sha = f.nextValue();
                    final String compression = shared.apply(f.nextValue());
                    long received = 0;
                    String headers = null;
                    String variant = null;
                    if (!f.atEnd()) {
                        received = f.nextLong();
                        headers = f.nextValue();
                        variant = shared.apply(f.nextValue());
                    }
                    // the client's file_sha256 is usually the key itself: keep one string for both
                    record = new JournalRecord.Commit(key, new EntryMeta(length, type, encoding,
                            key.equals(sha) ? key : sha, compression, headers, received, variant), lastAccess);
                    break;
                case 'R':
                    record = new JournalRecord.Remove(key);
                    break;
                case 'A':
                    record = new JournalRecord.Access(key, f.nextLong());
                    break;
                default:
                    return null;
            }
            return f.atEnd() ? record : null;
        } catch (final IllegalArgumentException e) { // a missing or malformed field
            return null;
        }
    }

    static JournalRecord decode(final byte[] buf, final int off, final int len) {
        return decode(buf, off, len, UnaryOperator.identity());
    }

    /** Walks the tab-separated fields of one line without a substring per field. */
    private static final class Fields {
        private final byte[] buf;
        private final int end;
        private int pos;

        Fields(final byte[] buf, final int start, final int end) {
            this.buf = buf;
            this.pos = start;
            this.end = end;
        }

        /** The next field's raw text. */
        String next() {
            final int from = pos;
            final int to = skip();
            return new String(buf, from, to - from, StandardCharsets.ISO_8859_1);
        }

        /** The next field as a non-negative decimal number. */
        long nextLong() {
            final int from = pos;
            final int to = skip();
            if (to == from || to - from > 18) {
                throw new IllegalArgumentException("not a number");
            }
            long v = 0;
            for (int i = from; i < to; i++) {
                final int d = buf[i] - '0';
                if (d < 0 || d > 9) {
                    throw new IllegalArgumentException("not a number");
                }
                v = v * 10 + d;
            }
            return v;
        }

        /** The next field as a header value: null for "-", unescaped otherwise. */
        String nextValue() {
            final int from = pos;
            final int to = skip();
            if (to - from == 1 && buf[from] == '-') {
                return null;
            }
            for (int i = from; i < to; i++) {
                if (buf[i] == '%') {
                    return field(new String(buf, from, to - from, StandardCharsets.ISO_8859_1));
                }
            }
            return new String(buf, from, to - from, StandardCharsets.ISO_8859_1);
        }

        private int skip() {
            if (pos > end) {
                throw new IllegalArgumentException("missing field");
            }
            int i = pos;
            while (i < end && buf[i] != SEP) {
                i++;
            }
            pos = i + 1;
            return i;
        }

        boolean atEnd() {
            return pos == end + 1;
        }
    }

    private static long parseLowerHex(final byte[] buf, final int from, final int n) {
        long v = 0;
        for (int i = from; i < from + n; i++) {
            final int c = buf[i];
            final int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (d < 0) {
                return -1;
            }
            v = v << 4 | d;
        }
        return v;
    }

    private static void appendField(final StringBuilder line, final String value) {
        line.append(SEP);
        if (value == null) {
            line.append(NONE);
        } else if (value.equals(NONE)) {
            line.append("%2d");
        } else {
            for (final byte b : value.getBytes(StandardCharsets.UTF_8)) {
                if (b >= 0x20 && b < 0x7f && b != '%') {
                    line.append((char) b);
                } else {
                    line.append('%').append(HEX[(b >> 4) & 0xf]).append(HEX[b & 0xf]);
                }
            }
        }
    }

    private static String field(final String raw) {
        if (raw.equals(NONE)) {
            return null;
        }
        if (raw.indexOf('%') < 0) {
            return raw;
        }
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            final char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length()) {
                    throw new IllegalArgumentException("truncated escape");
                }
                bytes.write(Integer.parseInt(raw, i + 1, i + 3, 16));
                i += 2;
            } else {
                bytes.write(c);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static String crcHex(final byte[] buf, final int off, final int len) {
        final CRC32 crc = new CRC32();
        crc.update(buf, off, len);
        final long v = crc.getValue();
        final char[] out = new char[8];
        for (int i = 7; i >= 0; i--) {
            out[7 - i] = HEX[(int) (v >>> (i * 4)) & 0xf];
        }
        return new String(out);
    }
}
