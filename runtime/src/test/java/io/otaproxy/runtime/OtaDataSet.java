package io.otaproxy.runtime;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import io.otaproxy.testing.Behaviour;
import io.otaproxy.testing.TestData;
import io.otaproxy.testing.TestOrigin;

/**
 * A data set shaped like an OTA image's blob store, modelled on the reference's end-to-end test: many empty
 * files, many small ones, some medium and a few large, plus file names that need quoting.
 */
final class OtaDataSet {

    /** One file: its name (unquoted), size, the seed of its generated content and its sha256. */
    record File(String name, long size, long seed, String sha256) {
    }

    /** The reference's special names: every character a URL quoting step could get wrong. */
    static final List<String> SPECIAL_NAMES = List.of("file with spaces", "file#hash", "file%percent", "file+plus",
            "file&ampersand", "file=equals", "file[bracket]", "fil\u00e9\u00e0cc\u00e9nted", "file\u00f1tilde",
            "file@at!exclaim");

    private final List<File> files;

    private OtaDataSet(final List<File> files) {
        this.files = files;
    }

    static OtaDataSet generate(final int empty, final int small, final int medium, final int large, final long seed) {
        final Random random = new Random(seed);
        final List<File> files = new ArrayList<>();
        long next = seed * 1_000_003;
        for (int i = 0; i < empty; i++) {
            files.add(file("empty/" + i, 0, next++));
        }
        for (int i = 0; i < small; i++) {
            files.add(file(null, 1 + random.nextInt(64 * 1024), next++));
        }
        for (int i = 0; i < medium; i++) {
            files.add(file(null, 256 * 1024 + random.nextInt(2 * 1024 * 1024), next++));
        }
        for (int i = 0; i < large; i++) {
            files.add(file(null, 8L * 1024 * 1024 + random.nextInt(16 * 1024 * 1024), next++));
        }
        for (final String special : SPECIAL_NAMES) {
            final byte[] payload = ("test-payload-for-" + special).getBytes(StandardCharsets.UTF_8);
            files.add(new File(special + "/payload", payload.length, -1, TestData.sha256(payload)));
        }
        return new OtaDataSet(List.copyOf(files));
    }

    private static File file(final String name, final long size, final long seed) {
        final String sha = TestData.sha256(size, seed);
        return new File(name != null ? name : "blobs/sha256/" + sha, size, seed, sha);
    }

    List<File> files() {
        return files;
    }

    long totalBytes() {
        return files.stream().mapToLong(File::size).sum();
    }

    /** Serves every file from the origin under its quoted name. */
    void serve(final TestOrigin origin) {
        for (final File f : files) {
            if (f.seed() < 0) {
                final String special = f.name().substring(0, f.name().indexOf('/'));
                origin.put(wirePath(f), ("test-payload-for-" + special).getBytes(StandardCharsets.UTF_8));
            } else {
                origin.put(wirePath(f), Behaviour.generated(f.size(), f.seed()));
            }
        }
    }

    /** The path as a client sends it: every byte outside the unreserved set and '/' percent-encoded. */
    static String quote(final String name) {
        final StringBuilder out = new StringBuilder("/");
        for (final byte b : name.getBytes(StandardCharsets.UTF_8)) {
            final int c = b & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.'
                    || c == '_' || c == '~' || c == '/') {
                out.append((char) c);
            } else {
                out.append('%').append(HexFormat.of().withUpperCase().toHexDigits((byte) c));
            }
        }
        return out.toString();
    }

    static String wirePath(final File f) {
        return quote(f.name());
    }
}
