package io.otaproxy.testing;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Scripted response of a {@link TestOrigin} for one path: status, headers, body, framing and injected faults.
 *
 * <p>Immutable: start from a static factory and refine with the instance methods, each of which returns a
 * new value, e.g. {@code Behaviour.generated(10_000_000, 7).chunked(4096).rateLimited(1_000_000)}.
 * Fault offsets count body (payload) bytes, not chunk framing.
 */
public final class Behaviour {

    /** How the body length is conveyed. */
    enum Framing { CONTENT_LENGTH, CHUNKED, UNTIL_CLOSE }

    /** What happens once {@link #faultAfter} body bytes were sent. */
    enum Fault { NONE, CLOSE, RESET, STALL }

    static final int DEFAULT_CHUNK_SIZE = 8192;
    private static final int MAX_CHUNK_SIZE = 16 * 1024 * 1024;

    private int status = 200;
    private String reason = "OK";
    private List<String[]> headers = List.of();
    private byte[] bodyBytes = new byte[0];
    private long generatedSize = -1;
    private long generatedSeed;
    private Framing framing = Framing.CONTENT_LENGTH;
    private int chunkSize = DEFAULT_CHUNK_SIZE;
    private long bytesPerSecond;
    private Fault fault = Fault.NONE;
    private long faultAfter;
    private boolean stallBeforeHeaders;
    private long headerDelayMillis;
    private boolean closeAfterResponse;
    private boolean silentClose;
    private byte[] raw;

    private Behaviour() {
    }

    // ---------------------------------------------------------------- factories

    /** 200 with the given body and a Content-Length. */
    public static Behaviour ok(byte[] body) {
        Behaviour b = new Behaviour();
        b.bodyBytes = body.clone();
        return b;
    }

    /** 200 with the UTF-8 bytes of the text and a Content-Length. */
    public static Behaviour ok(String text) {
        return ok(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * 200 whose body is {@code size} deterministic pseudo-random bytes produced while sending, so GiB bodies
     * cost no memory; {@link TestData#sha256(long, long)} gives the expected hash.
     */
    public static Behaviour generated(long size, long seed) {
        if (size < 0) {
            throw new IllegalArgumentException("negative size: " + size);
        }
        Behaviour b = new Behaviour();
        b.generatedSize = size;
        b.generatedSeed = seed;
        return b;
    }

    /** The given status with a short text body (none for 1xx, 204 and 304). */
    public static Behaviour status(int code) {
        byte[] body = hasNoBody(code) ? new byte[0] : (code + " " + reasonFor(code) + "\n").getBytes(StandardCharsets.US_ASCII);
        return status(code, body);
    }

    /** The given status with the given body. */
    public static Behaviour status(int code, byte[] body) {
        return ok(body).withStatus(code);
    }

    /** A redirect with the given status (301, 302, 303, 307, 308 ...) and Location header. */
    public static Behaviour redirect(int code, String location) {
        return status(code).header("Location", location);
    }

    /** Reads the request, then sends nothing at all and keeps the connection open until the client or close() ends it. */
    public static Behaviour stallBeforeHeaders() {
        Behaviour b = new Behaviour();
        b.stallBeforeHeaders = true;
        return b;
    }

    /**
     * Sends exactly these bytes as the whole response (status line, headers and body, no framing added),
     * then closes the connection; for malformed-response tests.
     */
    public static Behaviour raw(byte[] response) {
        Behaviour b = new Behaviour();
        b.raw = response.clone();
        return b;
    }

    /** {@link #raw(byte[])} with the ISO-8859-1 bytes of the text. */
    public static Behaviour raw(String response) {
        return raw(response.getBytes(StandardCharsets.ISO_8859_1));
    }

    // ---------------------------------------------------------------- modifiers

    /** Same response with another status code (and its standard reason phrase). */
    public Behaviour withStatus(int code) {
        if (code < 100 || code > 999) {
            throw new IllegalArgumentException("status must have three digits: " + code);
        }
        Behaviour b = copy();
        b.status = code;
        b.reason = reasonFor(code);
        return b;
    }

    /** Same response with another reason phrase (may be empty). */
    public Behaviour withReason(String reasonPhrase) {
        Behaviour b = copy();
        b.reason = Objects.requireNonNull(reasonPhrase);
        return b;
    }

    /**
     * Adds a response header, sent in the order added. Setting Content-Length, Transfer-Encoding or
     * Connection yourself suppresses the one the origin would add, so lying headers can be scripted.
     */
    public Behaviour header(String name, String value) {
        Behaviour b = copy();
        List<String[]> list = new ArrayList<>(headers);
        list.add(new String[] {Objects.requireNonNull(name), Objects.requireNonNull(value)});
        b.headers = Collections.unmodifiableList(list);
        return b;
    }

    /** Adds all headers of the map in its iteration order. */
    public Behaviour headers(Map<String, String> extra) {
        Behaviour b = this;
        for (Map.Entry<String, String> e : extra.entrySet()) {
            b = b.header(e.getKey(), e.getValue());
        }
        return b;
    }

    /** Sends the body with Transfer-Encoding: chunked in chunks of {@code size} bytes (the last may be shorter). */
    public Behaviour chunked(int size) {
        if (size < 1 || size > MAX_CHUNK_SIZE) {
            throw new IllegalArgumentException("chunk size out of range: " + size);
        }
        Behaviour b = copy();
        b.framing = Framing.CHUNKED;
        b.chunkSize = size;
        return b;
    }

    /** Sends the body with neither Content-Length nor chunking and closes the connection to end it. */
    public Behaviour withoutLength() {
        Behaviour b = copy();
        b.framing = Framing.UNTIL_CLOSE;
        return b;
    }

    /** Paces the body at about this many bytes per second (headers are not paced). */
    public Behaviour rateLimited(long perSecond) {
        if (perSecond < 1) {
            throw new IllegalArgumentException("rate must be positive: " + perSecond);
        }
        Behaviour b = copy();
        b.bytesPerSecond = perSecond;
        return b;
    }

    /** Declares the full length but closes the connection (FIN) after {@code n} body bytes. */
    public Behaviour truncatedAfter(long n) {
        return withFault(Fault.CLOSE, n);
    }

    /** Sends {@code n} body bytes, then resets the connection (RST via SO_LINGER 0). */
    public Behaviour resetAfter(long n) {
        return withFault(Fault.RESET, n);
    }

    /** Sends {@code n} body bytes, then sends nothing more but keeps the socket open until the peer or close() ends it. */
    public Behaviour stallAfter(long n) {
        return withFault(Fault.STALL, n);
    }

    /** Chunked body (keeping a chunk size set before, else 8 KiB) that stops after {@code n} bytes without the last chunk. */
    public Behaviour chunkedTruncatedAfter(long n) {
        Behaviour b = framing == Framing.CHUNKED ? this : chunked(DEFAULT_CHUNK_SIZE);
        return b.truncatedAfter(n);
    }

    /** Waits this long after reading the request before sending the status line. */
    public Behaviour delayHeaders(long millis) {
        Behaviour b = copy();
        b.headerDelayMillis = Math.max(0, millis);
        return b;
    }

    /** Sends {@code Connection: close} and closes the connection after the response. */
    public Behaviour closeAfterResponse() {
        Behaviour b = copy();
        b.closeAfterResponse = true;
        return b;
    }

    /**
     * Closes the connection after the response without announcing it, as a server whose keep-alive timer
     * fired would; a client that pools the connection finds it dead on reuse.
     */
    public Behaviour silentlyCloseAfterResponse() {
        Behaviour b = copy();
        b.silentClose = true;
        return b;
    }

    // ---------------------------------------------------------------- read by TestOrigin

    int status() {
        return status;
    }

    String reason() {
        return reason;
    }

    List<String[]> headerList() {
        return headers;
    }

    long bodyLength() {
        return generatedSize >= 0 ? generatedSize : bodyBytes.length;
    }

    InputStream openBody() {
        return generatedSize >= 0 ? new GeneratedInputStream(generatedSize, generatedSeed) : new ByteArrayInputStream(bodyBytes);
    }

    Framing framing() {
        return framing;
    }

    int chunkSize() {
        return chunkSize;
    }

    long bytesPerSecond() {
        return bytesPerSecond;
    }

    Fault fault() {
        return fault;
    }

    long faultAfter() {
        return faultAfter;
    }

    boolean stallsBeforeHeaders() {
        return stallBeforeHeaders;
    }

    long headerDelayMillis() {
        return headerDelayMillis;
    }

    boolean closesAfterResponse() {
        return closeAfterResponse;
    }

    boolean closesSilently() {
        return silentClose;
    }

    byte[] rawResponse() {
        return raw;
    }

    boolean hasHeader(String name) {
        for (String[] h : headers) {
            if (h[0].equalsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    static boolean hasNoBody(int code) {
        return code < 200 || code == 204 || code == 304;
    }

    static String reasonFor(int code) {
        switch (code) {
            case 100: return "Continue";
            case 200: return "OK";
            case 201: return "Created";
            case 204: return "No Content";
            case 206: return "Partial Content";
            case 301: return "Moved Permanently";
            case 302: return "Found";
            case 303: return "See Other";
            case 304: return "Not Modified";
            case 307: return "Temporary Redirect";
            case 308: return "Permanent Redirect";
            case 400: return "Bad Request";
            case 401: return "Unauthorized";
            case 403: return "Forbidden";
            case 404: return "Not Found";
            case 416: return "Range Not Satisfiable";
            case 500: return "Internal Server Error";
            case 502: return "Bad Gateway";
            case 503: return "Service Unavailable";
            case 504: return "Gateway Timeout";
            default: return "Status " + code;
        }
    }

    private Behaviour withFault(Fault kind, long n) {
        if (n < 0) {
            throw new IllegalArgumentException("negative byte count: " + n);
        }
        Behaviour b = copy();
        b.fault = kind;
        b.faultAfter = n;
        return b;
    }

    private Behaviour copy() {
        Behaviour b = new Behaviour();
        b.status = status;
        b.reason = reason;
        b.headers = headers;
        b.bodyBytes = bodyBytes;
        b.generatedSize = generatedSize;
        b.generatedSeed = generatedSeed;
        b.framing = framing;
        b.chunkSize = chunkSize;
        b.bytesPerSecond = bytesPerSecond;
        b.fault = fault;
        b.faultAfter = faultAfter;
        b.stallBeforeHeaders = stallBeforeHeaders;
        b.headerDelayMillis = headerDelayMillis;
        b.closeAfterResponse = closeAfterResponse;
        b.silentClose = silentClose;
        b.raw = raw;
        return b;
    }

    @Override
    public String toString() {
        return "Behaviour[" + status + ", " + bodyLength() + " bytes, " + framing
                + (fault == Fault.NONE ? "" : ", " + fault + " after " + faultAfter)
                + (stallBeforeHeaders ? ", stall before headers" : "") + "]";
    }
}
