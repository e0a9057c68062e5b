package io.otaproxy.proxy.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class UnmapperTest {

    @Rule
    public final TemporaryFolder tmp = new TemporaryFolder();

    /** On the JDK the proxy supports, long bodies are mapped: a mapping is read and then released at once. */
    @Test
    public void aMappingIsReleasedOnDemand() throws IOException {
        assertTrue("the JDK offers no unmapping: long bodies would go through buffers", Unmapper.available());
        final Path file = tmp.newFile().toPath();
        Files.write(file, new byte[] {1, 2, 3, 4});
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            final ByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, 1, 3);
            assertEquals(2, mapped.get(0));
            Unmapper.unmap(mapped);
        }
        assertEquals("the file is whole and can be replaced after its mapping is gone", 4, Files.size(file));
        Files.delete(file);
    }
}
