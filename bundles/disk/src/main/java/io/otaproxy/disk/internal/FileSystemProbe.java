package io.otaproxy.disk.internal;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads the size of a file system; the seam where tests put a fake disk. */
interface FileSystemProbe {

    /** Total and usable bytes of the file system holding {@code dir}. */
    long[] fileSystem(Path dir) throws IOException;

    /**
     * The real file system: one statvfs, no walk of the cache tree. The capacity is counted as {@code df} counts
     * it, bytes in use plus bytes available, so blocks reserved for root (often 5 %, on some volumes far more) do
     * not count as used: the percentage the proxy acts on is the one an operator reads in {@code df}.
     */
    FileSystemProbe REAL = dir -> {
        final FileStore store = Files.getFileStore(dir);
        final long used = store.getTotalSpace() - store.getUnallocatedSpace();
        final long usable = store.getUsableSpace();
        return new long[] {used + usable, usable};
    };
}
