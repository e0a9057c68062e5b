package io.otaproxy.cache.internal;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Where a fill's bytes go on disk: the writes to its temp file and the final fsync. This is the one seam between a
 * fill and the disk, kept this narrow so that a test can fail exactly the write a full disk would fail (ENOSPC
 * arrives as an IOException from {@link #write}) and nothing else.
 */
interface FillSink extends Closeable {

    /** Writes every remaining byte of {@code bytes}, or throws; bytes written before a throw are not counted. */
    void write(ByteBuffer bytes) throws IOException;

    /** Forces the written bytes to stable storage. */
    void force() throws IOException;

    /** Creates the sink of a fill on its new temp file. */
    @FunctionalInterface
    interface Factory {
        /** Creates {@code tempFile}, which must not exist yet, and opens it for writing. */
        FillSink create(Path tempFile) throws IOException;
    }

    /** The production factory: a file channel on the temp file. */
    Factory FILES = tempFile -> new ChannelSink(
            FileChannel.open(tempFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));

    /** A sink writing through a file channel. */
    final class ChannelSink implements FillSink {
        private final FileChannel channel;

        ChannelSink(final FileChannel channel) {
            this.channel = channel;
        }

        @Override
        public void write(final ByteBuffer bytes) throws IOException {
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
        }

        @Override
        public void force() throws IOException {
            channel.force(true);
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
