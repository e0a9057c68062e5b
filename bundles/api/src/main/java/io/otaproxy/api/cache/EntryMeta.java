package io.otaproxy.api.cache;

import java.util.Objects;

/**
 * What is stored with a cache entry besides its bytes: the response headers that are replayed on a hit and the
 * OTA directives the entry was stored under. Immutable.
 */
public final class EntryMeta {

    private final long length;
    private final String contentType;
    private final String contentEncoding;
    private final String fileSha256;
    private final String compressionAlg;

    /**
     * @param length          body length in bytes, or -1 while a fill of unknown length runs
     * @param contentType     upstream's Content-Type, or null
     * @param contentEncoding upstream's Content-Encoding, or null
     * @param fileSha256      the client's {@code file_sha256} (64 lower-case hex digits), or null
     * @param compressionAlg  the client's {@code file_compression_alg}, or null
     */
    public EntryMeta(final long length, final String contentType, final String contentEncoding,
            final String fileSha256, final String compressionAlg) {
        this.length = length;
        this.contentType = contentType;
        this.contentEncoding = contentEncoding;
        this.fileSha256 = fileSha256;
        this.compressionAlg = compressionAlg;
    }

    public long length() {
        return length;
    }

    public String contentType() {
        return contentType;
    }

    public String contentEncoding() {
        return contentEncoding;
    }

    public String fileSha256() {
        return fileSha256;
    }

    public String compressionAlg() {
        return compressionAlg;
    }

    /** The same metadata with a known length. */
    public EntryMeta withLength(final long newLength) {
        return new EntryMeta(newLength, contentType, contentEncoding, fileSha256, compressionAlg);
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof EntryMeta m && length == m.length && Objects.equals(contentType, m.contentType)
                && Objects.equals(contentEncoding, m.contentEncoding) && Objects.equals(fileSha256, m.fileSha256)
                && Objects.equals(compressionAlg, m.compressionAlg);
    }

    @Override
    public int hashCode() {
        return Objects.hash(length, contentType, contentEncoding, fileSha256, compressionAlg);
    }

    @Override
    public String toString() {
        return "EntryMeta[length=" + length + ", type=" + contentType + ", encoding=" + contentEncoding
                + ", sha256=" + fileSha256 + ", compression=" + compressionAlg + "]";
    }
}
