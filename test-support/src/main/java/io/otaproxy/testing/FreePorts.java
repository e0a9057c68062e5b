package io.otaproxy.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/** Finds a TCP port on 127.0.0.1 that nothing listens on at the moment of the call. */
public final class FreePorts {

    private FreePorts() {
    }

    /** Below Linux's default ephemeral range (32768-60999), which port-0 servers and client sockets draw from. */
    private static final int LOW = 20_000;
    private static final int HIGH = 32_000;

    /**
     * Returns a port that was free an instant ago. Another process may grab it before the caller
     * binds, so prefer binding port 0 where the API allows; this is for configs that need a number.
     * It is also a handy "nothing listens here" port for connect-refused tests.
     *
     * <p>The port is drawn at random below the ephemeral range: a test's own servers on port 0 and its client
     * connections (thousands, in some tests) take ephemeral ports, and one of them must not take the number
     * before the component configured with it binds.
     */
    public static int find() {
        final ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 200; attempt++) {
            final int port = random.nextInt(LOW, HIGH);
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(false);
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
                return port;
            } catch (IOException e) {
                // taken: try another
            }
        }
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on 127.0.0.1", e);
        }
    }
}
