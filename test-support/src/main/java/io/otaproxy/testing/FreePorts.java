package io.otaproxy.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Finds a TCP port on 127.0.0.1 that nothing listens on at the moment of the call. */
public final class FreePorts {

    private FreePorts() {
    }

    /**
     * Returns a port that was free an instant ago. Another process may grab it before the caller
     * binds, so prefer binding port 0 where the API allows; this is for configs that need a number.
     * It is also a handy "nothing listens here" port for connect-refused tests.
     */
    public static int find() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on 127.0.0.1", e);
        }
    }
}
