package io.otaproxy.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** One request as a {@link TestOrigin} received it: request line parts, headers in order, body, connection. */
public final class RecordedRequest {

    /** One header line as received: name in its original case, value without surrounding whitespace. */
    public record Header(String name, String value) {
        public Header {
            Objects.requireNonNull(name);
            Objects.requireNonNull(value);
        }
    }

    private final String method;
    private final String target;
    private final String version;
    private final List<Header> headers;
    private final byte[] body;
    private final int connection;

    RecordedRequest(String method, String target, String version, List<Header> headers, byte[] body, int connection) {
        this.method = method;
        this.target = target;
        this.version = version;
        this.headers = List.copyOf(headers);
        this.body = body;
        this.connection = connection;
    }

    /** Method token, e.g. {@code GET}. */
    public String method() {
        return method;
    }

    /**
     * Request-target exactly as in the request line, its bytes decoded as ISO-8859-1 (one char per byte), so
     * raw UTF-8 shows up as its individual bytes: compare with {@code new String(utf8, ISO_8859_1)}.
     * For a proxy request this is the absolute form, e.g. {@code http://host:port/path}.
     */
    public String target() {
        return target;
    }

    /** Protocol version from the request line, e.g. {@code HTTP/1.1}. */
    public String version() {
        return version;
    }

    /** All header lines in the order received. */
    public List<Header> headers() {
        return headers;
    }

    /** Header names in the order received (duplicates kept). */
    public List<String> headerNames() {
        List<String> names = new ArrayList<>(headers.size());
        for (Header h : headers) {
            names.add(h.name());
        }
        return names;
    }

    /** Value of the first header with this name (case-insensitive), or null. */
    public String header(String name) {
        for (Header h : headers) {
            if (h.name().equalsIgnoreCase(name)) {
                return h.value();
            }
        }
        return null;
    }

    /** Values of all headers with this name (case-insensitive), in order. */
    public List<String> headerValues(String name) {
        List<String> values = new ArrayList<>();
        for (Header h : headers) {
            if (h.name().equalsIgnoreCase(name)) {
                values.add(h.value());
            }
        }
        return values;
    }

    /** Request body (Content-Length or chunked), empty if none. */
    public byte[] body() {
        return body.clone();
    }

    /** 1-based number of the TCP connection the request came on, in accept order; equal numbers mean reuse. */
    public int connection() {
        return connection;
    }

    @Override
    public String toString() {
        return method + " " + target + " " + version + " (connection " + connection + ", " + headers.size() + " headers)";
    }
}
