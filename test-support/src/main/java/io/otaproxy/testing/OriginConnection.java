package io.otaproxy.testing;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Serves the requests of one accepted connection of a {@link TestOrigin}, keep-alive included. */
final class OriginConnection implements Runnable {

    private static final int MAX_LINE = 64 * 1024;
    private static final int MAX_HEADERS = 1000;
    private static final int MAX_REQUEST_BODY = 64 * 1024 * 1024;

    /** Thrown for requests the origin cannot parse; answered with 400 and a close. */
    private static final class BadRequest extends IOException {
        private static final long serialVersionUID = 1L;

        BadRequest(String message) {
            super(message);
        }
    }

    private final TestOrigin origin;
    private final Socket socket;
    private final int number;

    OriginConnection(TestOrigin origin, Socket socket, int number) {
        this.origin = origin;
        this.socket = socket;
        this.number = number;
    }

    @Override
    public void run() {
        try (Socket s = socket) {
            s.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(s.getInputStream(), 64 * 1024);
            OutputStream out = new BufferedOutputStream(s.getOutputStream(), 64 * 1024);
            boolean keepGoing = true;
            while (keepGoing && !s.isClosed()) {
                RecordedRequest request;
                try {
                    request = readRequest(in);
                } catch (BadRequest e) {
                    answerBadRequest(in, out, e.getMessage());
                    return;
                }
                if (request == null) {
                    return;
                }
                origin.record(request);
                Behaviour behaviour = origin.behaviourFor(request);
                if (behaviour == null) {
                    behaviour = Behaviour.status(404, ("not found: " + request.target() + "\n").getBytes(StandardCharsets.ISO_8859_1));
                }
                ResponseWriter writer = new ResponseWriter(s, in, out, behaviour);
                keepGoing = writer.write("HEAD".equals(request.method()), clientWantsClose(request));
            }
        } catch (IOException e) {
            // peer went away or the origin was closed: nothing to report in a test server
        } finally {
            origin.forget(Thread.currentThread(), socket);
        }
    }

    private RecordedRequest readRequest(InputStream in) throws IOException {
        int first = in.read();
        // tolerate stray CRLF between requests, as RFC 9112 allows
        int skipped = 0;
        while ((first == '\r' || first == '\n') && skipped++ < 8) {
            first = in.read();
        }
        if (first < 0) {
            return null;
        }
        if (!isTokenChar(first)) {
            // e.g. a TLS ClientHello (0x16) on this plain port: refuse fast instead of waiting for a CRLF
            throw new BadRequest("request does not start with a method token (first byte 0x" + Integer.toHexString(first) + ")");
        }
        String line = readLine(in, first);
        if (line == null) {
            return null;
        }
        int sp1 = line.indexOf(' ');
        int sp2 = line.lastIndexOf(' ');
        if (sp1 <= 0 || sp2 <= sp1 + 1) {
            throw new BadRequest("malformed request line: " + line);
        }
        String method = line.substring(0, sp1);
        String target = line.substring(sp1 + 1, sp2);
        String version = line.substring(sp2 + 1);
        if (!version.startsWith("HTTP/")) {
            throw new BadRequest("malformed request line: " + line);
        }
        List<RecordedRequest.Header> headers = new ArrayList<>();
        while (true) {
            String h = readLine(in, -1);
            if (h == null) {
                throw new EOFException("connection closed inside request headers");
            }
            if (h.isEmpty()) {
                break;
            }
            int colon = h.indexOf(':');
            if (colon <= 0 || headers.size() >= MAX_HEADERS) {
                throw new BadRequest("malformed header line: " + h);
            }
            headers.add(new RecordedRequest.Header(h.substring(0, colon), h.substring(colon + 1).strip()));
        }
        byte[] body = readBody(in, headers);
        return new RecordedRequest(method, target, version, headers, body, number);
    }

    private static byte[] readBody(InputStream in, List<RecordedRequest.Header> headers) throws IOException {
        String te = null;
        String cl = null;
        for (RecordedRequest.Header h : headers) {
            if (h.name().equalsIgnoreCase("Transfer-Encoding")) {
                te = h.value();
            } else if (h.name().equalsIgnoreCase("Content-Length")) {
                cl = h.value();
            }
        }
        if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            return readChunked(in);
        }
        if (cl == null) {
            return new byte[0];
        }
        long length;
        try {
            length = Long.parseLong(cl.strip());
        } catch (NumberFormatException e) {
            throw new BadRequest("bad Content-Length: " + cl);
        }
        if (length < 0 || length > MAX_REQUEST_BODY) {
            throw new BadRequest("unsupported Content-Length: " + cl);
        }
        byte[] body = in.readNBytes((int) length);
        if (body.length < length) {
            throw new EOFException("request body truncated");
        }
        return body;
    }

    private static byte[] readChunked(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = readLine(in, -1);
            if (sizeLine == null) {
                throw new EOFException("request chunked body truncated");
            }
            int semi = sizeLine.indexOf(';');
            String hex = (semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).strip();
            int size;
            try {
                size = Integer.parseInt(hex, 16);
            } catch (NumberFormatException e) {
                throw new BadRequest("bad chunk size: " + sizeLine);
            }
            if (size < 0 || body.size() + (long) size > MAX_REQUEST_BODY) {
                throw new BadRequest("request body too large");
            }
            if (size == 0) {
                String trailer;
                do {
                    trailer = readLine(in, -1);
                } while (trailer != null && !trailer.isEmpty());
                return body.toByteArray();
            }
            byte[] data = in.readNBytes(size);
            if (data.length < size) {
                throw new EOFException("request chunk truncated");
            }
            body.write(data);
            readLine(in, -1);
        }
    }

    /** Reads one line ending in LF (CR before it dropped), bytes decoded as ISO-8859-1; null at EOF before any byte. */
    private static String readLine(InputStream in, int firstByte) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        int c = firstByte >= 0 ? firstByte : in.read();
        if (c < 0) {
            return null;
        }
        while (c != '\n') {
            if (c < 0) {
                throw new EOFException("connection closed inside a line");
            }
            if (line.size() >= MAX_LINE) {
                throw new BadRequest("line longer than " + MAX_LINE + " bytes");
            }
            line.write(c);
            c = in.read();
        }
        byte[] bytes = line.toByteArray();
        int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
    }

    private static boolean clientWantsClose(RecordedRequest request) {
        String connection = request.header("Connection");
        String tokens = connection == null ? "" : connection.toLowerCase(Locale.ROOT);
        if ("HTTP/1.0".equals(request.version())) {
            return !tokens.contains("keep-alive");
        }
        return tokens.contains("close");
    }

    private static boolean isTokenChar(int c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }

    private void answerBadRequest(InputStream in, OutputStream out, String why) throws IOException {
        byte[] body = ("bad request: " + why + "\n").getBytes(StandardCharsets.ISO_8859_1);
        String head = "HTTP/1.1 400 Bad Request\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
        socket.shutdownOutput();
        // drain what the client still sends, so close() sends FIN rather than RST over unread bytes
        socket.setSoTimeout(200);
        byte[] sink = new byte[4096];
        try {
            while (in.read(sink) >= 0) {
                // discard
            }
        } catch (SocketTimeoutException e) {
            // good enough
        }
    }
}
