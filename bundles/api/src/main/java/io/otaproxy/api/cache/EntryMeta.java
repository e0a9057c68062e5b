package io.otaproxy.api.cache;

import java.util.Objects;

/**
 * What is stored with a cache entry besides its bytes: the response headers that are replayed on a hit, when the
 * response was received, the request headers it was chosen by, and the OTA directives the entry was stored under.
 * Immutable. The store keeps these as opaque text: what they mean is the proxy's business.
 */
public final class EntryMeta {

    private final long length;
    private final String contentType;
    private final String contentEncoding;
    private final String fileSha256;
    private final String compressionAlg;
    private final String headers;
    private final long receivedMillis;
    private final String variant;

    /**
     * @param length          body length in bytes, or -1 while a fill of unknown length runs
     * @param contentType     upstream's Content-Type, or null
     * @param contentEncoding upstream's Content-Encoding, or null
     * @param fileSha256      the client's {@code file_sha256} (64 lower-case hex digits), or null
     * @param compressionAlg  the client's {@code file_compression_alg}, or null
     */
    public EntryMeta(final long length, final String contentType, final String contentEncoding,
            final String fileSha256, final String compressionAlg) {
        this(length, contentType, contentEncoding, fileSha256, compressionAlg, null, 0, null);
    }

    /**
     * @param headers        further response headers to replay, one {@code Name: value} per line ({@code \n}), or
     *                       null for none
     * @param receivedMillis when the response was received (epoch milliseconds), 0 if unknown
     * @param variant        the request header values that selected this response when it varies ({@code Vary}),
     *                       in the proxy's own form, or null
     * @since 2.1
     */
    public EntryMeta(final long length, final String contentType, final String contentEncoding,
            final String fileSha256, final String compressionAlg, final String headers, final long receivedMillis,
            final String variant) {
        this.length = length;
        this.contentType = contentType;
        this.contentEncoding = contentEncoding;
        this.fileSha256 = fileSha256;
        this.compressionAlg = compressionAlg;
        this.headers = headers == null || headers.isEmpty() ? null : headers;
        this.receivedMillis = Math.max(0, receivedMillis);
        this.variant = variant;
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

    /**
     * Further response headers to replay, one {@code Name: value} per line, or null.
     *
     * @since 2.1
     */
    public String headers() {
        return headers;
    }

    /**
     * When the response was received, in epoch milliseconds; 0 if unknown (an entry stored before this was kept).
     *
     * @since 2.1
     */
    public long receivedMillis() {
        return receivedMillis;
    }

    /**
     * The request header values that selected this response, or null when it does not vary.
     *
     * @since 2.1
     */
    public String variant() {
        return variant;
    }

    /** The same metadata with a known length. */
    public EntryMeta withLength(final long newLength) {
        return new EntryMeta(newLength, contentType, contentEncoding, fileSha256, compressionAlg, headers,
                receivedMillis, variant);
    }

    /**
     * The same entry with the headers of a newer response that confirmed it (a revalidation answered 304).
     *
     * @since 2.1
     */
    public EntryMeta withHeaders(final String newHeaders, final long newReceivedMillis) {
        return new EntryMeta(length, contentType, contentEncoding, fileSha256, compressionAlg, newHeaders,
                newReceivedMillis, variant);
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof EntryMeta m && length == m.length && receivedMillis == m.receivedMillis
                && Objects.equals(contentType, m.contentType) && Objects.equals(contentEncoding, m.contentEncoding)
                && Objects.equals(fileSha256, m.fileSha256) && Objects.equals(compressionAlg, m.compressionAlg)
                && Objects.equals(headers, m.headers) && Objects.equals(variant, m.variant);
    }

    @Override
    public int hashCode() {
        return Objects.hash(length, contentType, contentEncoding, fileSha256, compressionAlg, headers,
                receivedMillis, variant);
    }

    @Override
    public String toString() {
        return "EntryMeta[length=" + length + ", type=" + contentType + ", encoding=" + contentEncoding
                + ", sha256=" + fileSha256 + ", compression=" + compressionAlg
                + (headers == null ? "" : ", headers=" + headers.replace('\n', '|'))
                + (receivedMillis == 0 ? "" : ", received=" + receivedMillis)
                + (variant == null ? "" : ", variant=" + variant) + "]";
    }
}
