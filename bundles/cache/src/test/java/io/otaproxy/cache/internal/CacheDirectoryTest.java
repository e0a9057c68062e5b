package io.otaproxy.cache.internal;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class CacheDirectoryTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void createsAMissingDirectory() throws Exception {
        final Path root = tmp.getRoot().toPath().resolve("a/b/cache");
        assertFalse(new CacheDirectory(root).prepare(""));
        assertTrue(Files.isDirectory(root));
    }

    @Test
    public void wipesOncePerIdAndKeepsTheRoot() throws Exception {
        final Path root = tmp.newFolder("cache").toPath();
        Files.createDirectories(root.resolve("v1/ab"));
        Files.write(root.resolve("v1/ab/entry"), new byte[10]);
        final CacheDirectory dir = new CacheDirectory(root);

        assertTrue(dir.prepare("launch-1"));
        assertFalse(Files.exists(root.resolve("v1")));
        assertTrue(Files.isDirectory(root));

        Files.write(root.resolve("cached-after-start"), new byte[1]);
        assertFalse("same launch: no second wipe", dir.prepare("launch-1"));
        assertTrue(Files.exists(root.resolve("cached-after-start")));

        assertTrue("a new launch with init_cache wipes again", dir.prepare("launch-2"));
        assertFalse(Files.exists(root.resolve("cached-after-start")));
    }

    @Test
    public void noIdNeverWipes() throws Exception {
        final Path root = tmp.newFolder("cache").toPath();
        Files.write(root.resolve("entry"), new byte[1]);
        assertFalse(new CacheDirectory(root).prepare(""));
        assertTrue(Files.exists(root.resolve("entry")));
    }
}
