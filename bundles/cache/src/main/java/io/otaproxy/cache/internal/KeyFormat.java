package io.otaproxy.cache.internal;

/**
 * The one rule for cache keys: exactly 64 lower-case hex digits (a sha256). Checked at every entry into the store,
 * because a key becomes a file name: nothing else (no '/', no "..") may ever reach the file system.
 */
final class KeyFormat {

    static final int LENGTH = 64;

    private KeyFormat() {
    }

    static boolean isValid(final String key) {
        return key != null && key.length() == LENGTH && isLowerHex(key);
    }

    /** Whether {@code s} is a non-empty run of lower-case hex digits (a key, or a fan-out directory name). */
    static boolean isLowerHex(final String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    /** Returns {@code key} or throws IllegalArgumentException when it is not a valid cache key. */
    static String requireValid(final String key) {
        if (!isValid(key)) {
            throw new IllegalArgumentException("Not a cache key (64 lower-case hex digits): " + printable(key));
        }
        return key;
    }

    /** The first two digits as a number, 0 to 255: names the fan-out directory and the lock stripe. */
    static int prefix(final String key) {
        return Character.digit(key.charAt(0), 16) << 4 | Character.digit(key.charAt(1), 16);
    }

    private static String printable(final String key) {
        if (key == null) {
            return "null";
        }
        // a hostile key is not echoed whole into the log
        final String head = key.length() > 80 ? key.substring(0, 80) + "…" : key;
        return '"' + head.replaceAll("\\p{Cntrl}", "?") + '"';
    }
}
