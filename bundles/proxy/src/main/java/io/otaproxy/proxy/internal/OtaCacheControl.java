package io.otaproxy.proxy.internal;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The {@code OTA-File-Cache-Control} request header: comma-separated directives, each a bare flag or
 * {@code key=value}; unknown directives are ignored and a later duplicate overrides an earlier one, as in the
 * reference. A {@code file_sha256} that is not 64 hex digits is refused, because it becomes a file name.
 */
final class OtaCacheControl {

    static final String HEADER = "OTA-File-Cache-Control";

    private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");
    static final OtaCacheControl NONE = new OtaCacheControl(false, false, null, null);

    private final boolean noCache;
    private final boolean retryCaching;
    private final String fileSha256;
    private final String compressionAlg;

    private OtaCacheControl(final boolean noCache, final boolean retryCaching, final String fileSha256,
            final String compressionAlg) {
        this.noCache = noCache;
        this.retryCaching = retryCaching;
        this.fileSha256 = fileSha256;
        this.compressionAlg = compressionAlg;
    }

    /**
     * Parses the header's values (several header lines count as one comma-separated list).
     *
     * @throws BadRequestException 400 for a malformed {@code file_sha256}
     */
    static OtaCacheControl parse(final Iterable<String> values) throws BadRequestException {
        boolean noCache = false;
        boolean retry = false;
        String sha = null;
        String alg = null;
        boolean any = false;
        for (final String value : values) {
            for (final String item : value.split(",")) {
                final String directive = item.trim();
                if (directive.isEmpty()) {
                    continue;
                }
                any = true;
                final int eq = directive.indexOf('=');
                final String name = (eq < 0 ? directive : directive.substring(0, eq)).trim()
                        .toLowerCase(Locale.ROOT);
                final String arg = eq < 0 ? null : directive.substring(eq + 1).trim();
                switch (name) {
                    case "no_cache" -> noCache = true;
                    case "retry_caching" -> retry = true;
                    case "file_sha256" -> sha = checkSha256(arg);
                    case "file_compression_alg" -> alg = arg == null || arg.isEmpty() ? null : arg;
                    default -> {
                        // unknown directives are ignored: newer clients must not break older proxies
                    }
                }
            }
        }
        if (!any) {
            return NONE;
        }
        // the compression algorithm describes the file named by file_sha256; alone it means nothing
        return new OtaCacheControl(noCache, retry, sha, sha == null ? null : alg);
    }

    private static String checkSha256(final String value) throws BadRequestException {
        if (value == null || !SHA256.matcher(value).matches()) {
            throw new BadRequestException(400, "Invalid file_sha256 in " + HEADER + ": expected 64 hex digits");
        }
        return value.toLowerCase(Locale.ROOT);
    }

    /** Use and fill no cache: relay. */
    boolean noCache() {
        return noCache;
    }

    /** The cached copy is bad: drop it and fetch again. */
    boolean retryCaching() {
        return retryCaching;
    }

    /** The sha256 of the file (lower-case hex), or null. */
    String fileSha256() {
        return fileSha256;
    }

    /** The compression of the file at this URL (e.g. {@code zst}), or null. */
    String compressionAlg() {
        return compressionAlg;
    }

    /**
     * The value answered on a hit, as the reference does: {@code file_sha256=<sha>[,file_compression_alg=<alg>]},
     * or null when the entry is not keyed by a sha256.
     */
    static String responseValue(final String fileSha256, final String compressionAlg) {
        if (fileSha256 == null) {
            return null;
        }
        return compressionAlg == null ? "file_sha256=" + fileSha256
                : "file_sha256=" + fileSha256 + ",file_compression_alg=" + compressionAlg;
    }
}
