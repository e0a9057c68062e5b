package io.otaproxy.testing;

import java.io.InputStream;

/** Endless-looking but finite stream of seeded pseudo-random bytes, so huge bodies need no memory. */
final class GeneratedInputStream extends InputStream {

    private final long size;
    private long position;
    private long state;
    private long word;
    private int wordBytesLeft;

    GeneratedInputStream(long size, long seed) {
        if (size < 0) {
            throw new IllegalArgumentException("negative size: " + size);
        }
        this.size = size;
        // mix the seed once so seeds 0, 1, 2 ... do not start from visibly related states
        this.state = seed * 0x2545F4914F6CDD1DL + 0x632BE59BD9B4E019L;
    }

    @Override
    public int read() {
        if (position >= size) {
            return -1;
        }
        return nextByte() & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (len == 0) {
            return 0;
        }
        if (position >= size) {
            return -1;
        }
        int n = (int) Math.min(len, size - position);
        for (int i = 0; i < n; i++) {
            b[off + i] = nextByte();
        }
        return n;
    }

    @Override
    public long skip(long n) {
        long skipped = 0;
        while (skipped < n && position < size) {
            nextByte();
            skipped++;
        }
        return skipped;
    }

    @Override
    public int available() {
        return (int) Math.min(Integer.MAX_VALUE, size - position);
    }

    private byte nextByte() {
        if (wordBytesLeft == 0) {
            word = nextWord();
            wordBytesLeft = 8;
        }
        byte b = (byte) word;
        word >>>= 8;
        wordBytesLeft--;
        position++;
        return b;
    }

    // splitmix64 step: cheap, well distributed, and trivially reproducible from the seed
    private long nextWord() {
        state += 0x9E3779B97F4A7C15L;
        long z = state;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
