package io.otaproxy.itests;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * Sends arbitrary bytes to the proxy and reports what came back: a status, or a close without one. A proxy that
 * neither answers nor closes within the time limit fails the test, because a hostile client must never be able to
 * park a connection indefinitely by sending garbage.
 */
final class RawExchange {

    /** The status code, or {@link #CLOSED} when the connection closed (or was reset) without a status line. */
    final int status;
    final String text;

    static final int CLOSED = -1;

    private RawExchange(final int status, final String text) {
        this.status = status;
        this.text = text;
    }

    static RawExchange send(final int port, final byte[] bytes, final int limitMillis) throws IOException {
        return send("127.0.0.1", port, bytes, limitMillis);
    }

    /** From a chosen local address (any 127.x.y.z works on Linux), so that tests can be several clients. */
    static RawExchange send(final String fromAddress, final int port, final byte[] bytes, final int limitMillis)
            throws IOException {
        try (Socket socket = connect(fromAddress, port)) {
            socket.setSoTimeout(limitMillis);
            try {
                socket.getOutputStream().write(bytes);
                socket.getOutputStream().flush();
            } catch (final IOException e) {
                return new RawExchange(CLOSED, "closed while sending: " + e.getMessage());
            }
            return read(socket);
        }
    }

    static Socket connect(final String fromAddress, final int port) throws IOException {
        final Socket socket = new Socket();
        socket.bind(new InetSocketAddress(fromAddress, 0));
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        return socket;
    }

    /** Reads until the peer closes, answering with the first status line seen. */
    static RawExchange read(final Socket socket) throws IOException {
        final ByteArrayOutputStream all = new ByteArrayOutputStream();
        final InputStream in = socket.getInputStream();
        final byte[] buffer = new byte[8192];
        try {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                all.write(buffer, 0, n);
                if (all.size() > 1_000_000) {
                    break;
                }
            }
        } catch (final SocketTimeoutException e) {
            final String partial = all.toString(StandardCharsets.ISO_8859_1);
            if (partial.startsWith("HTTP/") && partial.contains("\r\n\r\n") && !partial.contains("Connection: close")) {
                return parse(partial); // answered, connection kept alive
            }
            throw new AssertionError("no answer and no close within the limit; got: " + partial);
        } catch (final IOException e) {
            if (all.size() == 0) {
                return new RawExchange(CLOSED, "reset: " + e.getMessage());
            }
        }
        return parse(all.toString(StandardCharsets.ISO_8859_1));
    }

    private static RawExchange parse(final String text) {
        if (!text.startsWith("HTTP/")) {
            return new RawExchange(CLOSED, text);
        }
        final String[] parts = text.split(" ", 3);
        return new RawExchange(Integer.parseInt(parts[1]), text);
    }

    static byte[] ascii(final String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Override
    public String toString() {
        final String head = text.length() > 300 ? text.substring(0, 300) + "..." : text;
        return (status == CLOSED ? "closed" : Integer.toString(status)) + " " + head.replace("\r\n", " | ");
    }
}
