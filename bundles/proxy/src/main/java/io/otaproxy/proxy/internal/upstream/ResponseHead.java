package io.otaproxy.proxy.internal.upstream;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Parsed status line and header fields of one upstream response, read within fixed size limits. */
final class ResponseHead {

    static final int MAX_LINE = 16 * 1024;
    static final int MAX_HEAD_BYTES = 64 * 1024;
    static final int MAX_FIELDS = 200;

    final int minorVersion;
    final int status;
    final String reason;
    final UpstreamHeaders headers;

    private ResponseHead(final int minorVersion, final int status, final String reason, final UpstreamHeaders headers) {
        this.minorVersion = minorVersion;
        this.status = status;
        this.reason = reason;
        this.headers = headers;
    }

    /**
     * Reads status line and fields up to the empty line.
     *
     * @return the head, or null if the stream ended before the first byte
     * @throws UpstreamProtocolException if anything is malformed or exceeds the limits
     * @throws java.io.EOFException      if the stream ends inside the head
     */
    static ResponseHead read(final HttpInput in) throws IOException {
        final String statusLine = in.readLine(MAX_LINE);
        if (statusLine == null) {
            return null;
        }
        long total = statusLine.length() + 2L;
        final List<Map.Entry<String, String>> fields = new ArrayList<>();
        String pendingName = null;
        StringBuilder pendingValue = null;
        while (true) {
            final String line = in.readLine(MAX_LINE);
            if (line == null) {
                throw new java.io.EOFException("connection closed inside the response head");
            }
            total += line.length() + 2L;
            if (total > MAX_HEAD_BYTES) {
                throw new UpstreamProtocolException("upstream response head exceeds " + MAX_HEAD_BYTES + " bytes");
            }
            if (line.isEmpty()) {
                break;
            }
            final char first = line.charAt(0);
            if (first == ' ' || first == '\t') {
                // obsolete line folding: RFC 9112 lets a recipient replace it with a space
                if (pendingName == null) {
                    throw new UpstreamProtocolException("upstream response head starts with a continuation line");
                }
                pendingValue.append(' ').append(line.strip());
                continue;
            }
            if (pendingName != null) {
                fields.add(Map.entry(pendingName, pendingValue.toString()));
            }
            if (fields.size() >= MAX_FIELDS) {
                throw new UpstreamProtocolException("upstream response has more than " + MAX_FIELDS + " header fields");
            }
            final int colon = line.indexOf(':');
            if (colon <= 0 || !isToken(line, colon)) {
                throw new UpstreamProtocolException("malformed upstream header line: "
                        + UpstreamTarget.printable(line.length() > 100 ? line.substring(0, 100) + "..." : line));
            }
            pendingName = line.substring(0, colon);
            pendingValue = new StringBuilder(line.substring(colon + 1).strip());
            if (pendingValue.indexOf("\0") >= 0) {
                throw new UpstreamProtocolException("NUL in upstream header " + pendingName);
            }
        }
        if (pendingName != null) {
            fields.add(Map.entry(pendingName, pendingValue.toString()));
        }
        return parseStatusLine(statusLine, new UpstreamHeaders(fields));
    }

    private static ResponseHead parseStatusLine(final String line, final UpstreamHeaders headers)
            throws UpstreamProtocolException {
        // HTTP/1.x SP 3DIGIT [SP reason]; some servers omit the space before an empty reason
        if (line.length() < 12 || !line.startsWith("HTTP/1.") || !isDigit(line.charAt(7))
                || line.charAt(8) != ' ' || !isThreeDigits(line, 9)
                || (line.length() > 12 && line.charAt(12) != ' ')) {
            throw new UpstreamProtocolException("malformed upstream status line: "
                    + UpstreamTarget.printable(line.length() > 100 ? line.substring(0, 100) + "..." : line));
        }
        final int minor = line.charAt(7) - '0';
        final int status = Integer.parseInt(line.substring(9, 12));
        if (status < 100) {
            throw new UpstreamProtocolException("invalid upstream status code " + status);
        }
        final String reason = line.length() > 13 ? line.substring(13) : "";
        return new ResponseHead(minor, status, reason, headers);
    }

    private static boolean isThreeDigits(final String s, final int from) {
        for (int i = from; i < from + 3; i++) {
            if (!isDigit(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isDigit(final char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isToken(final String s, final int end) {
        for (int i = 0; i < end; i++) {
            final char c = s.charAt(i);
            final boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** HTTP/1.1 keeps the connection unless told to close; HTTP/1.0 only if it asks for keep-alive. */
    boolean keepAlive() {
        if (headers.hasToken("Connection", "close")) {
            return false;
        }
        return minorVersion >= 1 || headers.hasToken("Connection", "keep-alive");
    }
}
