package io.otaproxy.proxy.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Cache keys: the client's {@code file_sha256} when it gives one (the same file under any URL is one entry), else
 * the sha256 of the normalized URL. A content address is only a key for bytes the store verifies against it: a
 * body announced as compressed ({@code file_compression_alg}) cannot be, its sha256 being that of the original
 * file, so it is keyed by its URL together with the claimed sha256 and algorithm, and can never be served for
 * another URL. The URL key ignores the scheme upgrade, the default port, the case of the
 * host and of percent-escapes, and — like the reference — the query string, so that pre-signed or
 * cache-busting parameters do not multiply entries.
 */
final class CacheKeys {

    private CacheKeys() {
    }

    static String keyFor(final ProxyTarget target, final OtaCacheControl control) {
        if (control.fileSha256() == null) {
            return urlKey(target);
        }
        if (control.compressionAlg() != null) {
            return sha256Hex("compressed:" + control.fileSha256() + ":" + control.compressionAlg() + ":"
                    + normalizedUrl(target));
        }
        return control.fileSha256();
    }

    static String urlKey(final ProxyTarget target) {
        return sha256Hex("url:" + normalizedUrl(target));
    }

    /** {@code http://host[:port]/path} with the host lower-cased, the default port dropped, escapes upper-cased. */
    static String normalizedUrl(final ProxyTarget target) {
        final StringBuilder url = new StringBuilder("http://").append(target.host().toLowerCase(Locale.ROOT));
        final int defaultPort = target.scheme().equals("https") ? 443 : 80;
        if (target.port() != defaultPort) {
            url.append(':').append(target.port());
        }
        final String path = target.rawPath();
        for (int i = 0; i < path.length(); i++) {
            final char c = path.charAt(i);
            if (c == '%' && i + 2 < path.length()) {
                url.append('%').append(Character.toUpperCase(path.charAt(i + 1)))
                        .append(Character.toUpperCase(path.charAt(i + 2)));
                i += 2;
            } else {
                url.append(c);
            }
        }
        return url.toString();
    }

    static String sha256Hex(final String text) {
        try {
            return HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
