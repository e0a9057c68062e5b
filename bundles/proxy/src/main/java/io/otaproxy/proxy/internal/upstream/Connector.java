package io.otaproxy.proxy.internal.upstream;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.List;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/** Opens a fresh connection to a route: TCP connect with timeout, then for https a verified TLS handshake. */
final class Connector {

    private final UpstreamSettings settings;

    Connector(final UpstreamSettings settings) {
        this.settings = settings;
    }

    /**
     * @throws UpstreamTimeoutException if connect or TLS handshake takes too long
     * @throws UpstreamConnectException if the host is unknown or unreachable, refuses, or TLS fails
     */
    UpstreamConnection open(final Route route, final Runnable onClose) throws UpstreamException {
        final Socket plain = new Socket();
        try {
            plain.setTcpNoDelay(true);
            plain.setSoTimeout(settings.readTimeoutMillis());
            final InetSocketAddress address = new InetSocketAddress(route.bareHost(), route.port());
            if (address.isUnresolved()) {
                throw new UnknownHostException(route.host());
            }
            if (!settings.hasUpperProxy()) {
                // the name passed the rules; where it actually points must pass them too
                settings.guard().checkAddress(route.host(), address.getAddress(), route.port());
            }
            plain.connect(address, settings.connectTimeoutMillis());
        } catch (final UpstreamRefusedException e) {
            closeQuietly(plain);
            throw e;
        } catch (final SocketTimeoutException e) {
            closeQuietly(plain);
            throw new UpstreamTimeoutException("connecting to " + route.host() + ":" + route.port() + " timed out after "
                    + settings.connectTimeoutMillis() + " ms", e);
        } catch (final UnknownHostException e) {
            closeQuietly(plain);
            throw new UpstreamConnectException("unknown host " + route.host(), e);
        } catch (final IOException e) {
            closeQuietly(plain);
            throw new UpstreamConnectException("cannot connect to " + route.host() + ":" + route.port() + ": " + e.getMessage(), e);
        }
        final Socket socket = route.tls() ? handshake(plain, route) : plain;
        try {
            return new UpstreamConnection(route, socket, onClose);
        } catch (final IOException e) {
            closeQuietly(socket);
            throw new UpstreamConnectException("connection to " + route + " failed: " + e.getMessage(), e);
        }
    }

    private SSLSocket handshake(final Socket plain, final Route route) throws UpstreamException {
        SSLSocket ssl = null;
        try {
            ssl = (SSLSocket) settings.sslSocketFactory().createSocket(plain, route.bareHost(), route.port(), true);
            final SSLParameters params = ssl.getSSLParameters();
            // the JDK checks the certificate against the host only when asked to
            params.setEndpointIdentificationAlgorithm("HTTPS");
            if (!route.host().startsWith("[") && !isIpv4Literal(route.host())) {
                try {
                    params.setServerNames(List.of(new SNIHostName(route.host())));
                } catch (final IllegalArgumentException e) {
                    // not a valid SNI name (e.g. contains '_'): connect without SNI rather than fail
                }
            }
            ssl.setSSLParameters(params);
            ssl.startHandshake();
            return ssl;
        } catch (final SocketTimeoutException e) {
            closeQuietly(ssl != null ? ssl : plain);
            throw new UpstreamTimeoutException("TLS handshake with " + route.host() + ":" + route.port() + " timed out", e);
        } catch (final IOException e) {
            closeQuietly(ssl != null ? ssl : plain);
            throw new UpstreamConnectException("TLS handshake with " + route.host() + ":" + route.port() + " failed: "
                    + e.getMessage(), e);
        }
    }

    private static boolean isIpv4Literal(final String host) {
        for (int i = 0; i < host.length(); i++) {
            final char c = host.charAt(i);
            if (c != '.' && (c < '0' || c > '9')) {
                return false;
            }
        }
        return true;
    }

    private static void closeQuietly(final Socket s) {
        try {
            s.close();
        } catch (final IOException e) {
            // already failing; the first error is the one to report
        }
    }
}
