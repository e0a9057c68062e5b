package io.otaproxy.disk.internal;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/** Reads the size of a file system and of a directory tree; the seam where tests put a fake disk. */
interface FileSystemProbe {

    /** Total and usable bytes of the file system holding {@code dir}. */
    long[] fileSystem(Path dir) throws IOException;

    /** Bytes in regular files below {@code dir}. */
    long treeSize(Path dir) throws IOException;

    /** The real file system. */
    FileSystemProbe REAL = new FileSystemProbe() {
        @Override
        public long[] fileSystem(final Path dir) throws IOException {
            final FileStore store = Files.getFileStore(dir);
            return new long[] {store.getTotalSpace(), store.getUsableSpace()};
        }

        @Override
        public long treeSize(final Path dir) throws IOException {
            final long[] sum = {0};
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(final Path file, final BasicFileAttributes attrs) {
                    if (attrs.isRegularFile()) {
                        sum[0] += attrs.size();
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(final Path file, final IOException e) {
                    return FileVisitResult.CONTINUE; // a file removed while walking is simply not counted
                }
            });
            return sum[0];
        }
    };
}
