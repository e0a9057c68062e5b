package io.otaproxy.cache.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;

import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
        assertFalse("the real file is closed", real.isOpen());
    }
}
