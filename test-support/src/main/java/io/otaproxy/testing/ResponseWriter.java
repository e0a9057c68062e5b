package io.otaproxy.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Writes one scripted {@link Behaviour} onto a connection of the {@link TestOrigin}, faults included. */
final class ResponseWriter {

    private static final byte[] CRLF = {'\r', '\n'};

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final Behaviour behaviour;
    private long pacedBytes;
    private long pacingStartNanos;

    ResponseWriter(Socket socket, InputStream in, OutputStream out, Behaviour behaviour) {
        this.socket = socket;
        this.in = in;
        this.out = out;
        this.behaviour = behaviour;
    }

    /**
     * Sends the response; returns true if the connection may carry another request, false if it was
     * closed or must be closed by the caller.
     */
    boolean write(boolean headRequest, boolean clientWantsClose) throws IOException {
        if (behaviour.rawResponse() != null) {
            out.write(behaviour.rawResponse());
            out.flush();
            return false;
        }
        if (behaviour.stallsBeforeHeaders()) {
            stallUntilPeerGoes();
            return false;
        }
        sleep(behaviour.headerDelayMillis());

        boolean noBody = headRequest || Behaviour.hasNoBody(behaviour.status());
        Behaviour.Framing framing = behaviour.framing();
        // a close-delimited body is only one if there is a body to delimit
        boolean untilClose = framing == Behaviour.Framing.UNTIL_CLOSE && !noBody;
        boolean announceClose = clientWantsClose || behaviour.closesAfterResponse() || untilClose;
        boolean closeAfter = announceClose || behaviour.closesSilently();
        writeHead(framing, announceClose);
        if (noBody) {
            out.flush();
            return !closeAfter;
        }
        pacingStartNanos = System.nanoTime();
        boolean completed = framing == Behaviour.Framing.CHUNKED ? writeChunkedBody() : writePlainBody();
        if (!completed) {
            return false;
        }
        out.flush();
        return !closeAfter;
    }

    private void writeHead(Behaviour.Framing framing, boolean announceClose) throws IOException {
        StringBuilder head = new StringBuilder(256);
        head.append("HTTP/1.1 ").append(behaviour.status());
        head.append(' ').append(behaviour.reason()).append("\r\n");
        boolean statusWithoutBody = Behaviour.hasNoBody(behaviour.status());
        if (!statusWithoutBody && framing == Behaviour.Framing.CONTENT_LENGTH && !behaviour.hasHeader("Content-Length")) {
            head.append("Content-Length: ").append(behaviour.bodyLength()).append("\r\n");
        }
        if (!statusWithoutBody && framing == Behaviour.Framing.CHUNKED && !behaviour.hasHeader("Transfer-Encoding")) {
            head.append("Transfer-Encoding: chunked\r\n");
        }
        if (announceClose && !behaviour.hasHeader("Connection")) {
            head.append("Connection: close\r\n");
        }
        for (String[] h : behaviour.headerList()) {
            head.append(h[0]).append(": ").append(h[1]).append("\r\n");
        }
        head.append("\r\n");
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Content-Length or close-delimited body; returns false if a fault ended the connection. */
    private boolean writePlainBody() throws IOException {
        Behaviour.Fault fault = behaviour.fault();
        long limit = fault == Behaviour.Fault.NONE ? Long.MAX_VALUE : behaviour.faultAfter();
        byte[] buf = new byte[64 * 1024];
        long sent = 0;
        try (InputStream body = behaviour.openBody()) {
            while (sent < limit) {
                int n = body.read(buf, 0, (int) Math.min(buf.length, limit - sent));
                if (n < 0) {
                    break;
                }
                writePaced(buf, 0, n);
                sent += n;
            }
        }
        if (fault != Behaviour.Fault.NONE) {
            applyFault(fault);
            return false;
        }
        return true;
    }

    /** Chunked body; the fault, if any, replaces the terminating zero chunk. Returns false if a fault ended it. */
    private boolean writeChunkedBody() throws IOException {
        Behaviour.Fault fault = behaviour.fault();
        long limit = fault == Behaviour.Fault.NONE ? Long.MAX_VALUE : behaviour.faultAfter();
        byte[] chunk = new byte[behaviour.chunkSize()];
        long sent = 0;
        try (InputStream body = behaviour.openBody()) {
            while (true) {
                int n = body.readNBytes(chunk, 0, chunk.length);
                if (n <= 0) {
                    break;
                }
                out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                int allowed = (int) Math.min(n, limit - sent);
                writePaced(chunk, 0, allowed);
                sent += allowed;
                if (allowed < n) {
                    applyFault(fault);
                    return false;
                }
                out.write(CRLF);
                if (sent >= limit) {
                    applyFault(fault);
                    return false;
                }
            }
        }
        if (fault != Behaviour.Fault.NONE) {
            applyFault(fault);
            return false;
        }
        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return true;
    }

    private void writePaced(byte[] buf, int off, int len) throws IOException {
        long rate = behaviour.bytesPerSecond();
        if (rate <= 0) {
            out.write(buf, off, len);
            return;
        }
        // small slices (about 1/20 s worth) keep the stream smooth instead of bursty
        int slice = (int) Math.max(1, Math.min(64 * 1024, rate / 20));
        int done = 0;
        while (done < len) {
            int n = Math.min(slice, len - done);
            out.write(buf, off + done, n);
            out.flush();
            done += n;
            pacedBytes += n;
            long dueNanos = pacingStartNanos + pacedBytes * 1_000_000_000L / rate;
            long waitNanos = dueNanos - System.nanoTime();
            if (waitNanos > 0) {
                sleep(waitNanos / 1_000_000L, (int) (waitNanos % 1_000_000L));
            }
        }
    }

    private void applyFault(Behaviour.Fault fault) throws IOException {
        out.flush();
        switch (fault) {
            case RESET:
                // linger 0 makes close() send RST instead of FIN
                socket.setSoLinger(true, 0);
                socket.close();
                break;
            case STALL:
                stallUntilPeerGoes();
                break;
            case CLOSE:
            default:
                socket.close();
                break;
        }
    }

    /** Sends nothing and returns once the peer closes, or close() of the origin closes the socket. */
    private void stallUntilPeerGoes() throws IOException {
        out.flush();
        byte[] sink = new byte[4096];
        try {
            while (in.read(sink) >= 0) {
                // discard: a stalled server ignores whatever else arrives
            }
        } catch (IOException e) {
            // socket closed underneath us: that is how the stall ends
        }
        socket.close();
    }

    private static void sleep(long millis) throws InterruptedIOException {
        if (millis > 0) {
            sleep(millis, 0);
        }
    }

    private static void sleep(long millis, int nanos) throws InterruptedIOException {
        try {
            Thread.sleep(millis, nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("test origin closed");
        }
    }
}
