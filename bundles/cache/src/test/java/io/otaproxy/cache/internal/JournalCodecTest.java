package io.otaproxy.cache.internal;

import static io.otaproxy.cache.internal.TestData.key;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.otaproxy.api.cache.EntryMeta;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class JournalCodecTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private static JournalRecord roundTrip(final JournalRecord r) {
        final byte[] line = JournalCodec.encode(r);
        assertEquals('\n', line[line.length - 1]);
        for (final byte b : line) {
            assertTrue("ASCII only", b >= 0);
        }
        return JournalCodec.decode(line, 0, line.length - 1);
    }

    @Test
    public void recordsRoundTripWhateverTheHeaderValues() {
        for (final String value : new String[] {null, "", "-", "--", "a\tb\nc\rd%e", "ünïcödé ✓", "%2d", "x y"}) {
            final JournalRecord.Commit c = new JournalRecord.Commit(key(1),
                    new EntryMeta(42, value, value, value, value), 1_700_000_000_123L);
            assertEquals(c, roundTrip(c));
        }
        assertEquals(new JournalRecord.Remove(key(2)), roundTrip(new JournalRecord.Remove(key(2))));
        assertEquals(new JournalRecord.Access(key(3), 7), roundTrip(new JournalRecord.Access(key(3), 7)));
    }

    @Test
    public void storedHeadersAndVariantRoundTripAndOldRecordsReadWithoutThem() {
        final EntryMeta meta = new EntryMeta(42, "text/plain", null, null, null,
                "ETag: \"abc\"\nLast-Modified: Sat, 05 Dec 2026 10:00:00 GMT\nX-Tab: a\tb%", 1_700_000_000_999L,
                "accept-encoding=gzip");
        final JournalRecord.Commit c = new JournalRecord.Commit(key(1), meta, 1_700_000_000_123L);
        assertEquals(c, roundTrip(c));
        final byte[] line = JournalCodec.encode(c);
        assertEquals("one line whatever the headers", 1, new String(line, StandardCharsets.US_ASCII).split("\n").length);

        // a record as written before headers were kept: no trailing fields
        final JournalRecord.Commit old = new JournalRecord.Commit(key(2), new EntryMeta(7, "a/b", null, null, null),
                5);
        final JournalRecord read = roundTrip(old);
        assertEquals(old, read);
        assertNull(((JournalRecord.Commit) read).meta().headers());
        assertEquals(0, ((JournalRecord.Commit) read).meta().receivedMillis());
    }

    @Test
    public void anyDamageToALineIsDetected() {
        final byte[] line = JournalCodec.encode(new JournalRecord.Commit(key(1),
                new EntryMeta(123456, "application/octet-stream", null, key(1), null), 1_700_000_000_000L));
        final int len = line.length - 1;
        for (int cut = 0; cut < len; cut++) {
            assertNull("truncated at " + cut, JournalCodec.decode(line, 0, cut));
        }
        for (int i = 0; i < len; i++) {
            final byte[] damaged = line.clone();
            damaged[i] ^= 0x01;
            assertNull("bit flipped at " + i, JournalCodec.decode(damaged, 0, len));
        }
        assertNull(JournalCodec.decode(new byte[64], 0, 64));
    }

    private Path journal(final byte[]... parts) throws Exception {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes((JournalCodec.HEADER + "\n").getBytes(StandardCharsets.US_ASCII));
        for (final byte[] p : parts) {
            out.writeBytes(p);
        }
        final Path file = tmp.newFile().toPath();
        Files.write(file, out.toByteArray());
        return file;
    }

    @Test
    public void readerSkipsATornTailButRefusesDamageBeforeTheEnd() throws Exception {
        final byte[] a = JournalCodec.encode(new JournalRecord.Access(key(1), 1));
        final byte[] b = JournalCodec.encode(new JournalRecord.Remove(key(2)));
        final byte[] torn = Arrays.copyOf(b, b.length - 4);
        final byte[] zeros = new byte[300];
        final byte[] hugeZeros = new byte[3 << 20]; // longer than any line the reader buffers

        for (final byte[] tail : List.of(torn, zeros, hugeZeros, Arrays.copyOf(b, b.length - 1))) {
            final List<JournalRecord> seen = new ArrayList<>();
            final JournalReader reader = new JournalReader();
            reader.read(journal(a, tail), seen::add);
            assertEquals(1, seen.size());
            assertTrue(reader.tornTail());
        }

        final byte[] damaged = a.clone();
        damaged[5] = 'x';
        final byte[] hugeLine = Arrays.copyOf(hugeZeros, hugeZeros.length + 1);
        hugeLine[hugeZeros.length] = '\n';
        for (final byte[] middle : List.of(damaged, hugeLine)) {
            try {
                new JournalReader().read(journal(a, middle, b), r -> { });
                fail("damage before the end must be refused");
            } catch (final CorruptJournalException expected) {
                // the whole journal is distrusted
            }
        }
    }

    @Test
    public void aMissingJournalReadsAsEmpty() throws Exception {
        final JournalReader reader = new JournalReader();
        reader.read(tmp.getRoot().toPath().resolve("none"), r -> fail());
        assertEquals(0, reader.records());
    }
}
