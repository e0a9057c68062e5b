package io.otaproxy.proxy.internal.upstream;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

import org.junit.After;
import org.junit.Assume;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.rules.Timeout;

import io.otaproxy.testing.TestData;

/**
 * The upstream client's TLS side against a real TLS server on the loopback interface: the JVM trust store is
 * the default, an explicitly trusted certificate works byte-exact, the certificate must match the target host,
 * and a DNS target host goes out as SNI. Certificates are made at test time with the JDK's keytool.
 */
public class UpstreamTlsTest {

    private static final String ALIAS = "server";
    private static final String PASSWORD = "changeit";
    /** Larger than one TLS record (16 KiB), and every byte value occurs. */
    private static final byte[] BODY = TestData.generate(70_001, 11);

    @ClassRule
    public static final TemporaryFolder TMP = new TemporaryFolder();

    /** Catches a hang; generous, as the first test pays for the JVM's TLS start-up on a machine that may be busy. */
    @Rule
    public final Timeout timeout = Timeout.seconds(60);

    /** Self-signed server key stores: the loopback IPs, the name localhost, and a name that is not ours. */
    private static KeyStore ipCert;
    private static KeyStore localhostCert;
    private static KeyStore otherNameCert;

    private final List<Closeable> closeables = new ArrayList<>();

    @BeforeClass
    public static void generateCertificates() throws Exception {
        final Map<String, String> sans = new LinkedHashMap<>();
        sans.put("ip", "IP:127.0.0.1,IP:::1");
        sans.put("localhost", "DNS:localhost");
        sans.put("other", "DNS:other.example");
        // one keytool JVM takes about a second to start: run them side by side
        final Map<String, Process> running = new LinkedHashMap<>();
        for (final Map.Entry<String, String> e : sans.entrySet()) {
            running.put(e.getKey(), startKeytool(store(e.getKey()), e.getValue()));
        }
        final Map<String, KeyStore> stores = new LinkedHashMap<>();
        for (final Map.Entry<String, Process> e : running.entrySet()) {
            stores.put(e.getKey(), awaitKeyStore(e.getValue(), store(e.getKey())));
        }
        ipCert = stores.get("ip");
        localhostCert = stores.get("localhost");
        otherNameCert = stores.get("other");
    }

    @After
    public void closeAll() throws IOException {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    // ------------------------------------------------------------------ 1. trust

    @Test
    public void selfSignedCertificateIsRefusedWithTheJvmTrustStore() throws Exception {
        final TlsServer server = server(ipCert, "127.0.0.1");
        final UpstreamClient client = client(null);
        assertRefusedForCertificate(client, get("127.0.0.1", server));
        // the client gave up during the handshake: no request ever reached the server
        server.awaitFinishedConnections(1);
        assertEquals(List.of(), server.requests());
    }

    // ------------------------------------------------------------------ 2. explicitly trusted certificate

    @Test
    public void trustedCertificateWithIpSanServesTheBodyByteExact() throws Exception {
        final TlsServer server = server(ipCert, "127.0.0.1");
        final UpstreamClient client = client(trusting(ipCert));
        assertBodyArrives(client, server, "127.0.0.1");
    }

    @Test
    public void trustedCertificateWithDnsSanForLocalhostServesTheBodyByteExact() throws Exception {
        final TlsServer server = server(localhostCert, "localhost");
        final UpstreamClient client = client(trusting(localhostCert));
        assertBodyArrives(client, server, "localhost");
    }

    @Test
    public void trustedCertificateWithIpv6SanServesTheBodyForABracketedHost() throws Exception {
        final TlsServer server = server(ipCert, "::1");
        final UpstreamClient client = client(trusting(ipCert));
        assertBodyArrives(client, server, "[::1]");
        assertEquals("an IP literal is never sent as SNI", List.of(List.of()), server.serverNames());
    }

    @Test
    public void keepAliveReusesTheTlsConnection() throws Exception {
        final TlsServer server = server(ipCert, "127.0.0.1");
        final UpstreamClient client = client(trusting(ipCert));
        for (int i = 0; i < 3; i++) {
            try (UpstreamResponse r = client.send(get("127.0.0.1", server))) {
                assertArrayEquals(BODY, r.body().readAllBytes());
            }
        }
        assertEquals(3, server.requests().size());
        assertEquals("one handshake for all requests", 1, server.serverNames().size());
        assertEquals(1, server.acceptedConnections());
    }

    // ------------------------------------------------------------------ 3. hostname verification

    @Test
    public void trustedCertificateForAnotherNameIsRefused() throws Exception {
        final TlsServer server = server(otherNameCert, "127.0.0.1");
        final SSLSocketFactory trustingOther = trusting(otherNameCert);
        final UpstreamClient client = client(trustingOther);
        assertRefusedForCertificate(client, get("127.0.0.1", server));
        server.awaitFinishedConnections(1);
        assertEquals(List.of(), server.requests());

        // control: the chain itself is trusted; only the host check, which the client asks for, refuses it
        try (SSLSocket raw = (SSLSocket) trustingOther.createSocket(InetAddress.getByName("127.0.0.1"), server.port())) {
            raw.setSoTimeout(5000);
            raw.startHandshake();
            assertEquals(otherNameCert.getCertificate(ALIAS), raw.getSession().getPeerCertificates()[0]);
        }
    }

    @Test
    public void ipCertificateDoesNotCoverAHostNameThatResolvesToThatIp() throws Exception {
        // "localhost" resolves to where the server listens, but the certificate names only the IP
        final TlsServer server = server(ipCert, "localhost");
        final UpstreamClient client = client(trusting(ipCert));
        assertRefusedForCertificate(client, get("localhost", server));
        server.awaitFinishedConnections(1);
        assertEquals(List.of(), server.requests());
    }

    @Test
    public void dnsCertificateDoesNotCoverTheIpItResolvesTo() throws Exception {
        final TlsServer server = server(localhostCert, "127.0.0.1");
        final UpstreamClient client = client(trusting(localhostCert));
        assertRefusedForCertificate(client, get("127.0.0.1", server));
        server.awaitFinishedConnections(1);
        assertEquals(List.of(), server.requests());
    }

    // ------------------------------------------------------------------ 4. SNI

    @Test
    public void dnsTargetHostIsSentAsSni() throws Exception {
        final TlsServer server = server(localhostCert, "localhost");
        final UpstreamClient client = client(trusting(localhostCert));
        try (UpstreamResponse r = client.send(get("localhost", server))) {
            assertArrayEquals(BODY, r.body().readAllBytes());
        }
        assertEquals(List.of(List.of(new SNIHostName("localhost"))), server.serverNames());
        final SNIHostName sent = (SNIHostName) server.serverNames().get(0).get(0);
        assertEquals("localhost", sent.getAsciiName());
    }

    @Test
    public void ipv4TargetHostIsNotSentAsSni() throws Exception {
        final TlsServer server = server(ipCert, "127.0.0.1");
        final UpstreamClient client = client(trusting(ipCert));
        try (UpstreamResponse r = client.send(get("127.0.0.1", server))) {
            assertArrayEquals(BODY, r.body().readAllBytes());
        }
        // RFC 6066 section 3: literal IP addresses are not permitted in "HostName"
        assertEquals(List.of(List.of()), server.serverNames());
    }

    // ------------------------------------------------------------------ timeouts

    @Test
    public void silentTlsServerIsATimeoutNotAConnectFailure() throws Exception {
        // accepts TCP (the backlog does that) but never answers the ClientHello
        final ServerSocket silent = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
        closeables.add(silent);
        final UpstreamClient client = new UpstreamClient(UpstreamSettings.builder().connectTimeoutMillis(2000)
                .readTimeoutMillis(300).sslSocketFactory(trusting(ipCert)).build());
        closeables.add(client);
        final UpstreamTarget target = UpstreamTarget.parse("https://127.0.0.1:" + silent.getLocalPort() + "/file");
        try (UpstreamResponse r = client.send(new UpstreamRequest("GET", target))) {
            fail("got a response from a server that never spoke: " + r);
        } catch (final UpstreamTimeoutException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().contains("TLS handshake"));
        }
    }

    // ------------------------------------------------------------------ helpers

    private static Path store(final String name) {
        return TMP.getRoot().toPath().resolve(name + ".p12");
    }

    private static Process startKeytool(final Path store, final String san) throws IOException {
        final Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        // a quick-starting JVM for keytool (C1 only, serial GC) more than halves the time this takes
        final ProcessBuilder pb = new ProcessBuilder(keytool.toString(), "-J-XX:+IgnoreUnrecognizedVMOptions",
                "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-genkeypair", "-alias", ALIAS,
                "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA",
                "-dname", "CN=ota-proxy upstream TLS test", "-ext", "SAN=" + san, "-validity", "2",
                "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD,
                "-noprompt");
        pb.redirectErrorStream(true);
        pb.redirectOutput(store.resolveSibling(store.getFileName() + ".log").toFile());
        return pb.start();
    }

    private static KeyStore awaitKeyStore(final Process keytool, final Path store) throws Exception {
        if (!keytool.waitFor(30, TimeUnit.SECONDS)) {
            keytool.destroyForcibly();
            fail("keytool did not finish for " + store);
        }
        final Path log = store.resolveSibling(store.getFileName() + ".log");
        assertEquals("keytool failed: " + Files.readString(log), 0, keytool.exitValue());
        final KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        assertNotNull("no certificate in " + store, ks.getCertificate(ALIAS));
        return ks;
    }

    /** A socket factory that trusts only the certificate of this server key store (not its private key). */
    private static SSLSocketFactory trusting(final KeyStore serverStore) throws Exception {
        final KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("trusted", serverStore.getCertificate(ALIAS));
        final TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        final SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx.getSocketFactory();
    }

    /** A client whose timeouts tell a hang from a slow machine; a null factory means the JVM default. */
    private UpstreamClient client(final SSLSocketFactory factory) {
        final UpstreamClient client = new UpstreamClient(UpstreamSettings.builder().connectTimeoutMillis(10_000)
                .readTimeoutMillis(10_000).sslSocketFactory(factory).build());
        closeables.add(client);
        return client;
    }

    private TlsServer server(final KeyStore keyStore, final String bindHost) throws Exception {
        final InetAddress bind = InetAddress.getByName(bindHost);
        if (bindHost.equals("localhost")) {
            Assume.assumeTrue("localhost is not a loopback address here", bind.isLoopbackAddress());
        }
        final TlsServer server;
        try {
            server = TlsServer.start(keyStore, bind);
        } catch (final IOException e) {
            if (bindHost.contains(":")) {
                Assume.assumeNoException("no IPv6 loopback here", e);
            }
            throw e;
        }
        closeables.add(server);
        return server;
    }

    private static UpstreamRequest get(final String host, final TlsServer server) {
        return new UpstreamRequest("GET", UpstreamTarget.parse("https://" + host + ":" + server.port() + "/file?x=%41"));
    }

    private static void assertBodyArrives(final UpstreamClient client, final TlsServer server, final String host)
            throws IOException {
        try (UpstreamResponse r = client.send(get(host, server))) {
            assertEquals(200, r.status());
            assertEquals(BODY.length, r.contentLength());
            assertArrayEquals(BODY, r.body().readAllBytes());
        }
        assertEquals(1, server.requests().size());
        final String head = server.requests().get(0);
        assertTrue(head, head.startsWith("GET /file?x=%41 HTTP/1.1\r\nHost: " + host + ":" + server.port() + "\r\n"));
    }

    /** Refused because of the certificate: a connect failure caused by a failed handshake, and no response. */
    private static void assertRefusedForCertificate(final UpstreamClient client, final UpstreamRequest request) {
        final UpstreamResponse response;
        try {
            response = client.send(request);
        } catch (final UpstreamConnectException expected) {
            assertTrue("cause: " + expected.getCause(), expected.getCause() instanceof SSLHandshakeException);
            boolean certificateProblem = false;
            for (Throwable t = expected; t != null; t = t.getCause()) {
                certificateProblem |= t instanceof CertificateException;
            }
            assertTrue("not a certificate problem: " + expected, certificateProblem);
            return;
        } catch (final UpstreamException e) {
            throw new AssertionError("expected UpstreamConnectException, got " + e, e);
        }
        response.abort();
        fail("the certificate was accepted: got " + response);
    }

    /**
     * HTTP/1.1 over TLS on one loopback address, a thread per connection. Answers every request head with 200 and
     * {@link #BODY} (Content-Length framing, keep-alive), and records request heads and the SNI names of every
     * completed handshake.
     */
    private static final class TlsServer implements Closeable {
        private final SSLServerSocket serverSocket;
        private final Thread acceptor;
        private final List<Thread> handlers = new CopyOnWriteArrayList<>();
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();
        private final List<String> requests = new CopyOnWriteArrayList<>();
        private final List<List<SNIServerName>> serverNames = new CopyOnWriteArrayList<>();
        private int finished;

        private TlsServer(final SSLServerSocket serverSocket) {
            this.serverSocket = serverSocket;
            this.acceptor = new Thread(this::acceptLoop, "tls-test-acceptor");
            this.acceptor.setDaemon(true);
        }

        static TlsServer start(final KeyStore keyStore, final InetAddress bind) throws Exception {
            final KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keyStore, PASSWORD.toCharArray());
            final SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), null, null);
            final SSLServerSocket ss = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket();
            try {
                ss.bind(new InetSocketAddress(bind, 0), 50);
            } catch (final IOException e) {
                ss.close();
                throw e;
            }
            final TlsServer server = new TlsServer(ss);
            server.acceptor.start();
            return server;
        }

        int port() {
            return serverSocket.getLocalPort();
        }

        List<String> requests() {
            return List.copyOf(requests);
        }

        /** Per completed handshake, the SNI names the client sent (empty list: none). */
        List<List<SNIServerName>> serverNames() {
            return List.copyOf(serverNames);
        }

        int acceptedConnections() {
            return handlers.size();
        }

        /** Waits until this many connections have been accepted and have ended on the server side. */
        synchronized void awaitFinishedConnections(final int count) throws InterruptedException {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (finished < count) {
                final long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    fail("server finished only " + finished + " of " + count + " connections");
                }
                wait(left);
            }
        }

        private synchronized void connectionFinished() {
            finished++;
            notifyAll();
        }

        private void acceptLoop() {
            while (!serverSocket.isClosed()) {
                final SSLSocket socket;
                try {
                    socket = (SSLSocket) serverSocket.accept();
                } catch (final IOException e) {
                    return; // closed
                }
                sockets.add(socket);
                final Thread handler = new Thread(() -> serve(socket), "tls-test-connection-" + handlers.size());
                handler.setDaemon(true);
                handlers.add(handler);
                handler.start();
            }
        }

        private void serve(final SSLSocket socket) {
            try (socket) {
                socket.setSoTimeout(5000);
                socket.startHandshake();
                serverNames.add(List.copyOf(((ExtendedSSLSession) socket.getSession()).getRequestedServerNames()));
                final InputStream in = socket.getInputStream();
                final OutputStream out = socket.getOutputStream();
                for (String head = readHead(in); head != null; head = readHead(in)) {
                    requests.add(head);
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: "
                            + BODY.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(BODY);
                    out.flush();
                }
            } catch (final IOException e) {
                // a refused handshake, or the client went away: either way the connection is over
            } finally {
                connectionFinished();
            }
        }

        /** The request head up to and including the blank line, or null at a clean end of stream. */
        private static String readHead(final InputStream in) throws IOException {
            final ByteArrayOutputStream head = new ByteArrayOutputStream();
            int matched = 0;
            while (matched < 4) {
                final int b = in.read();
                if (b < 0) {
                    if (head.size() == 0) {
                        return null;
                    }
                    throw new EOFException("end of stream inside a request head");
                }
                head.write(b);
                matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
                if (head.size() > 16 * 1024) {
                    throw new IOException("request head too large");
                }
            }
            return head.toString(StandardCharsets.ISO_8859_1);
        }

        @Override
        public void close() throws IOException {
            serverSocket.close();
            for (final Socket s : sockets) {
                try {
                    s.close();
                } catch (final IOException e) {
                    // the peer is gone already; the socket is closed all the same
                }
            }
            try {
                acceptor.join(5000);
                for (final Thread t : handlers) {
                    t.join(5000);
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
