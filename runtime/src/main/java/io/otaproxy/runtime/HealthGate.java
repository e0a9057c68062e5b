package io.otaproxy.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

/**
 * Whether the running bundle set is a working proxy: every bundle active, every service of ota-proxy's bundles that
 * was there before an update registered again (a bundle whose imports no longer resolve registers none), and the
 * proxy's listener answering its readiness probe (a request to itself gets 400; the standby's 503 means no proxy).
 * Services are compared by interface name, so the launcher needs none of the bundles' classes.
 */
final class HealthGate {

    private static final String OWN_BUNDLES = "io.otaproxy.";
    private static final int PROBE_TIMEOUT_MILLIS = 2_000;

    private final BundleContext context;
    private final Supplier<InetSocketAddress> proxyAddress;

    /** @param proxyAddress where the proxy listens, or null while its listener is not up */
    HealthGate(final BundleContext context, final Supplier<InetSocketAddress> proxyAddress) {
        this.context = context;
        this.proxyAddress = proxyAddress;
    }

    /** The interfaces of the services ota-proxy's bundles have registered now. */
    Set<String> services() {
        final Set<String> names = new TreeSet<>();
        for (final Bundle bundle : context.getBundles()) {
            final String name = bundle.getSymbolicName();
            final ServiceReference<?>[] registered = bundle.getRegisteredServices();
            if (name == null || !name.startsWith(OWN_BUNDLES) || registered == null) {
                continue;
            }
            for (final ServiceReference<?> reference : registered) {
                for (final String type : (String[]) reference.getProperty(Constants.OBJECTCLASS)) {
                    names.add(type);
                }
            }
        }
        return names;
    }

    /**
     * Waits at most {@code millis} for the set to be healthy.
     *
     * @param expected services that must be registered (those there before the update)
     * @return null when healthy, else what is wrong at the end of the wait
     */
    String await(final Set<String> expected, final long millis) throws InterruptedException {
        final long deadline = System.nanoTime() + millis * 1_000_000;
        String problem;
        while ((problem = check(expected)) != null && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        return problem;
    }

    /** What is wrong now, or null. */
    String check(final Set<String> expected) {
        final List<String> inactive = new ArrayList<>();
        for (final Bundle bundle : context.getBundles()) {
            if (bundle.getHeaders().get(Constants.FRAGMENT_HOST) == null && bundle.getState() != Bundle.ACTIVE) {
                inactive.add(bundle.getSymbolicName() + " " + bundle.getVersion());
            }
        }
        if (!inactive.isEmpty()) {
            return "bundles not active: " + inactive;
        }
        final Set<String> missing = new TreeSet<>(expected);
        missing.removeAll(services());
        if (!missing.isEmpty()) {
            return "services missing: " + missing;
        }
        final InetSocketAddress address = proxyAddress.get();
        if (address == null) {
            return "the proxy's listener is not up";
        }
        final String status = probe(address);
        return status.equals("400") ? null : "the proxy answers its readiness probe with " + status;
    }

    /** The status the listener gives a request addressed to itself, or a description of the failure. */
    private static String probe(final InetSocketAddress address) {
        final int port = address.getPort();
        try (Socket socket = new Socket()) {
            socket.connect(address, PROBE_TIMEOUT_MILLIS);
            socket.setSoTimeout(PROBE_TIMEOUT_MILLIS);
            final OutputStream out = socket.getOutputStream();
            out.write(("GET / HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            final InputStream in = socket.getInputStream();
            final byte[] head = in.readNBytes(12); // "HTTP/1.1 400"
            final String line = new String(head, StandardCharsets.US_ASCII);
            return line.length() == 12 && line.startsWith("HTTP/1.") ? line.substring(9) : "no status line";
        } catch (final IOException e) {
            return "no answer (" + e.getMessage() + ")";
        }
    }
}
