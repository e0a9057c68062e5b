package io.otaproxy.proxy.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

import io.otaproxy.api.cache.Fill;

/** Body sources: a complete entry's file, or a fill's reader. */
final class EntryBody {

    private EntryBody() {
    }

    /** No body: for a HEAD answered from what is known of a download. */
    static final BodySource NONE = new BodySource() {
        @Override
        public int read(final long position, final byte[] buffer, final int offset, final int length) {
            return -1;
        }

        @Override
        public int read(final long position, final ByteBuffer target) {
            return -1;
        }

        @Override
        public int readNow(final long position, final ByteBuffer target) {
            return -1;
        }

        @Override
        public void whenReadable(final long position, final Runnable callback) {
            callback.run();
        }

        @Override
        public boolean growing() {
            return false;
        }

        @Override
        public void close() {
            // nothing held
        }
    };

    /** A complete cache entry: positional reads of its file; it does not grow. */
    static BodySource of(final FileChannel file) {
        return new BodySource() {
            @Override
            public int read(final long position, final byte[] buffer, final int offset, final int length)
                    throws IOException {
                return file.read(ByteBuffer.wrap(buffer, offset, length), position);
            }

            @Override
            public int read(final long position, final ByteBuffer target) throws IOException {
                return file.read(target, position);
            }

            @Override
            public int readNow(final long position, final ByteBuffer target) throws IOException {
                return file.read(target, position);
            }

            @Override
            public void whenReadable(final long position, final Runnable callback) {
                callback.run(); // a complete file: everything is readable
            }

            @Override
            public ByteBuffer map(final long position, final long count) throws IOException {
                return file.map(FileChannel.MapMode.READ_ONLY, position, count);
            }

            @Override
            public boolean growing() {
                return false;
            }

            @Override
            public void close() {
                try {
                    file.close();
                } catch (final IOException e) {
                    // a read-only file: nothing was left unwritten
                }
            }
        };
    }

    /** A fill in flight: reads wait for the download and fail if it fails. */
    static BodySource of(final Fill.FillReader reader) {
        return new BodySource() {
            @Override
            public int read(final long position, final byte[] buffer, final int offset, final int length)
                    throws IOException, InterruptedException {
                return reader.read(position, buffer, offset, length);
            }

            @Override
            public int read(final long position, final ByteBuffer target) throws IOException, InterruptedException {
                return reader.read(position, target);
            }

            @Override
            public int readNow(final long position, final ByteBuffer target) throws IOException {
                return reader.readNow(position, target);
            }

            @Override
            public void whenReadable(final long position, final Runnable callback) {
                reader.whenReadable(position, callback);
            }

            @Override
            public boolean growing() {
                return true;
            }

            @Override
            public void close() {
                reader.close();
            }
        };
    }
}
