package io.otaproxy.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** Deterministic pseudo-random test content and SHA-256 helpers to verify what arrived. */
public final class TestData {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private TestData() {
    }

    /** The same bytes {@link Behaviour#generated(long, long)} serves, as a stream that holds nothing in memory. */
    public static InputStream stream(long size, long seed) {
        return new GeneratedInputStream(size, seed);
    }

    /** The same bytes {@link Behaviour#generated(long, long)} serves, in memory; only for sizes that fit an array. */
    public static byte[] generate(long size, long seed) {
        if (size < 0 || size > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("size does not fit a byte array: " + size);
        }
        byte[] out = new byte[(int) size];
        try (InputStream in = stream(size, seed)) {
            int off = 0;
            while (off < out.length) {
                off += in.read(out, off, out.length - off);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** Lower-case hex SHA-256 of {@code generate(size, seed)}, computed by streaming. */
    public static String sha256(long size, long seed) {
        try (InputStream in = stream(size, seed)) {
            return sha256(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Lower-case hex SHA-256 of the given bytes. */
    public static String sha256(byte[] data) {
        MessageDigest md = newDigest();
        md.update(data);
        return hex(md.digest());
    }

    /** Lower-case hex SHA-256 of everything left in the stream; does not close it. */
    public static String sha256(InputStream in) throws IOException {
        MessageDigest md = newDigest();
        byte[] buf = new byte[64 * 1024];
        int n;
        while ((n = in.read(buf)) >= 0) {
            md.update(buf, 0, n);
        }
        return hex(md.digest());
    }

    /** Lower-case hex SHA-256 of a file's content. */
    public static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return sha256(in);
        }
    }

    /** Reads the stream to its end into memory; for small test bodies. Does not close it. */
    public static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toByteArray();
    }

    static String hex(byte[] bytes) {
        char[] out = new char[bytes.length * 2];
        for (int i = 0; i < bytes.length; i++) {
            out[2 * i] = HEX[(bytes[i] >> 4) & 0xF];
            out[2 * i + 1] = HEX[bytes[i] & 0xF];
        }
        return new String(out);
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
