package io.otaproxy.cache.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.otaproxy.api.cache.CacheEntry;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class ExternalCachesTest {

    private static final String SHA = "ab".repeat(32);

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private static byte[] read(final CacheEntry entry) throws Exception {
        try (FileChannel ch = entry.open()) {
            final ByteBuffer b = ByteBuffer.allocate((int) ch.size());
            ch.read(b, 0);
            return b.array();
        }
    }

    @Test
    public void findsPlainBeforeZstdAndSearchesDirectoriesInOrder() throws Exception {
        final Path usb = tmp.newFolder("usb", "data").toPath().getParent();
        final Path nfs = tmp.newFolder("nfs", "data").toPath().getParent();
        Files.write(nfs.resolve("data").resolve(SHA), new byte[] {1});
        Files.write(usb.resolve("data").resolve(SHA + ".zst"), new byte[] {2, 2});
        final ExternalCaches caches = new ExternalCaches(List.of(usb, nfs));
        final CacheEntry zst = caches.find(SHA);
        assertEquals("zst", zst.meta().compressionAlg());
        assertEquals(2, zst.meta().length());
        assertEquals(SHA, zst.meta().fileSha256());
        assertArrayEquals(new byte[] {2, 2}, read(zst));

        Files.write(usb.resolve("data").resolve(SHA), new byte[] {3, 3, 3});
        final CacheEntry plain = caches.find(SHA);
        assertNull(plain.meta().compressionAlg());
        assertArrayEquals(new byte[] {3, 3, 3}, read(plain));
    }

    @Test
    public void missingFilesDirectoriesAndMediaAreMisses() throws Exception {
        final Path usb = tmp.newFolder("usb2").toPath();
        Files.createDirectories(usb.resolve("data").resolve(SHA)); // a directory is not a file
        assertNull(new ExternalCaches(List.of(usb, tmp.getRoot().toPath().resolve("unmounted"))).find(SHA));
        assertNull(ExternalCaches.of(new String[] {"", " "}).find(SHA));
    }
}
