package io.otaproxy.proxy.internal;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * Tells whether a request target names the proxy itself. ECUs probe an upper proxy with a plain GET of its own
 * URL and take any HTTP answer as "up", and a request looping back into the proxy would tie up a connection per
 * hop; both are answered with 400 at once. Only literals and local names are checked: the request path never
 * waits for DNS.
 */
final class SelfAddress {

    private final int listenPort;
    private final String listenAddr;
    private final String localHostName;

    SelfAddress(final String listenAddr, final int listenPort) {
        this.listenAddr = listenAddr;
        this.listenPort = listenPort;
        this.localHostName = localHostName();
    }

    boolean isSelf(final String host, final int port) {
        if (port != listenPort) {
            return false;
        }
        final String h = host.toLowerCase(Locale.ROOT);
        if (h.equals("localhost") || h.endsWith(".localhost") || h.equals(localHostName)) {
            return true;
        }
        final String literal = h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
        if (!isIpLiteral(literal)) {
            return false;
        }
        try {
            return isSelf(InetAddress.getByName(literal), port); // a literal: no lookup happens
        } catch (final UnknownHostException e) {
            return false;
        }
    }

    /** Whether a resolved address and port are this proxy's listener: the proxy would be talking to itself. */
    boolean isSelf(final InetAddress address, final int port) {
        if (port != listenPort) {
            return false;
        }
        if (address.isAnyLocalAddress() || address.isLoopbackAddress()) {
            return true;
        }
        if (address.getHostAddress().equals(listenAddr)) {
            return true;
        }
        try {
            return NetworkInterface.getByInetAddress(address) != null;
        } catch (final SocketException e) {
            return false;
        }
    }

    private static boolean isIpLiteral(final String host) {
        if (host.indexOf(':') >= 0) {
            return true; // IPv6
        }
        for (int i = 0; i < host.length(); i++) {
            final char c = host.charAt(i);
            if (c != '.' && (c < '0' || c > '9')) {
                return false;
            }
        }
        return !host.isEmpty();
    }

    private static String localHostName() {
        try {
            return InetAddress.getLocalHost().getHostName().toLowerCase(Locale.ROOT);
        } catch (final UnknownHostException e) {
            return "localhost";
        }
    }
}
