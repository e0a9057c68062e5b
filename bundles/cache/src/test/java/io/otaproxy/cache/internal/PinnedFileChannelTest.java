package io.otaproxy.cache.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class PinnedFileChannelTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void readsAndTransfersLikeItsFileAndReleasesItsPinOnceOnClose() throws Exception {
        final byte[] body = TestData.bytes(100_000, 1);
        final Path file = tmp.newFile().toPath();
        Files.write(file, body);
        final AtomicInteger released = new AtomicInteger();
        final FileChannel real = FileChannel.open(file, StandardOpenOption.READ);
        final FileChannel ch = new PinnedFileChannel(real, released::incrementAndGet);
        assertEquals(body.length, ch.size());
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        long pos = 0;
        while (pos < body.length) {
            pos += ch.transferTo(pos, body.length - pos, Channels.newChannel(out));
        }
        assertArrayEquals(body, out.toByteArray());
        assertEquals(5, ch.position(5).position());
        assertEquals(0, released.get());
        ch.close();
        ch.close();
        assertEquals("released exactly once", 1, released.get());
        assertTrue("closing the real file is the release's business", real.isOpen());
        real.close();
    }

    @Test
    public void readersSharingADescriptorKeepTheirOwnPositions() throws Exception {
        final byte[] body = TestData.bytes(10_000, 2);
        final Path file = tmp.newFile().toPath();
        Files.write(file, body);
        try (FileChannel real = FileChannel.open(file, StandardOpenOption.READ);
                FileChannel a = new PinnedFileChannel(real, () -> { });
                FileChannel b = new PinnedFileChannel(real, () -> { })) {
            final ByteBuffer first = ByteBuffer.allocate(4_000);
            assertEquals(4_000, a.read(first));
            b.position(9_000);
            final ByteBuffer tail = ByteBuffer.allocate(2_000);
            assertEquals(1_000, b.read(tail));
            final ByteBuffer next = ByteBuffer.allocate(6_000);
            assertEquals("a goes on where it stopped, not where b did", 6_000, a.read(next));
            assertArrayEquals(Arrays.copyOfRange(body, 4_000, 10_000), next.array());
            assertEquals(-1, a.read(ByteBuffer.allocate(1)));
            assertEquals(10_000, a.position());
            assertEquals(0, real.position());
        }
    }
}
