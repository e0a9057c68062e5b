package io.otaproxy.itests;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.options;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import javax.inject.Inject;

import io.otaproxy.testing.RawHttpClient;
import io.otaproxy.testing.TestOrigin;

import org.junit.After;
import org.junit.Before;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Starts the real bundle set (exactly the features list) in a forked Felix with a proxy_info.yml of the test's
 * own, and waits until the proxy answers. Each test class gets a fresh framework, a free port and a fresh cache.
 */
public abstract class ProxyTestSupport {

    private static final String ADMIN_PORT_PROPERTY = "otaproxy.it.admin.port";

    /** The symbolic name of the framework the build runs this class on (Felix, or Equinox for the core). */
    static final String FRAMEWORK_PROPERTY = "otaproxy.it.framework";

    @Inject
    protected BundleContext context;

    @Inject
    protected ConfigurationAdmin configAdmin;

    /** An origin server of the test's own, fresh for every test. */
    protected TestOrigin origin;

    @Before
    public void startOrigin() throws IOException {
        origin = TestOrigin.start();
    }

    @After
    public void stopOrigin() {
        origin.close();
    }

    @Configuration
    public Option[] configuration() throws IOException {
        final Path work = Files.createTempDirectory("ota-proxy-it-");
        final int port = freePort();
        // the admin endpoint's default port would collide between test runs side by side
        System.setProperty(ADMIN_PORT_PROPERTY, Integer.toString(freePort()));
        final Path yml = work.resolve("proxy_info.yml");
        Files.writeString(yml, baseYaml(port, work) + extraYaml(), StandardCharsets.UTF_8);
        final List<Option> options = new ArrayList<>();
        final File[] jars = Objects.requireNonNull(new File(System.getProperty("otaproxy.bundles.dir")).listFiles(),
                "bundles dir");
        Arrays.sort(jars);
        for (final File jar : jars) {
            final String name = jar.getName();
            // slf4j binds its provider once: SPI Fly, ASM and slf4j must start before anything logs
            final boolean early = name.startsWith("org.apache.aries.spifly") || name.startsWith("asm")
                    || name.startsWith("slf4j");
            options.add(bundle(jar.toURI().toString()).startLevel(early ? 1 : 4).start(!startedByTheTest(name)));
        }
        options.add(junitBundles());
        options.add(cleanCaches(true));
        options.add(frameworkProperty("otaproxy.config").value(yml.toString()));
        options.add(frameworkProperty("otaproxy.config.poll.ms").value("100"));
        // the platform's own HTTP server stays off; the proxy runs on its own instance
        options.add(frameworkProperty("org.apache.felix.http.enable").value("false"));
        options.add(systemProperty("pax.exam.osgi.unresolved.fail").value("true"));
        options.add(systemProperty("otaproxy.it.port").value(Integer.toString(port)));
        options.add(systemProperty(FRAMEWORK_PROPERTY).value(System.getProperty(FRAMEWORK_PROPERTY,
                "org.apache.felix.framework")));
        options.add(systemProperty("otaproxy.it.work").value(work.toString()));
        options.add(systemProperty(ADMIN_PORT_PROPERTY).value(System.getProperty(ADMIN_PORT_PROPERTY)));
        options.add(systemProperty("org.slf4j.simpleLogger.defaultLogLevel").value("info"));
        options.add(systemProperty("org.slf4j.simpleLogger.log.org.eclipse.jetty").value("warn"));
        // how long the reliability tests run (rounds, clients) is chosen on the Maven command line
        for (final String key : List.of(Reliability.ROUNDS, Reliability.OPERATIONS, Reliability.CLIENTS)) {
            if (System.getProperty(key) != null) {
                options.add(systemProperty(key).value(System.getProperty(key)));
            }
        }
        return options(options.toArray(new Option[0]));
    }

    /** Whether the bundle in this jar is only installed, for the test to start when it chooses. */
    protected boolean startedByTheTest(final String jarName) {
        return false;
    }

    /** Lines a test class adds to the base proxy_info.yml at start. */
    protected String extraYaml() {
        return "";
    }

    /** The proxy_info.yml every test class starts from. */
    static String baseYaml(final int port, final Path work) {
        return "enable_local_ota_proxy: true\n"
                + "local_ota_proxy_listen_addr: 127.0.0.1\n"
                + "local_ota_proxy_listen_port: " + port + "\n"
                + "cache_dir: " + work.resolve("cache") + "\n"
                + "upstream_connect_timeout_s: 2\n"
                + "upstream_read_timeout_s: 2\n"
                + "admin_listen_addr: 127.0.0.1\n"
                + "admin_listen_port: " + Integer.getInteger(ADMIN_PORT_PROPERTY) + "\n";
    }

    /** The admin endpoint's port (metrics, status, admin API). */
    protected int adminPort() {
        return Integer.getInteger(ADMIN_PORT_PROPERTY);
    }

    protected static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    protected int proxyPort() {
        return Integer.getInteger("otaproxy.it.port");
    }

    protected Path work() {
        return Path.of(System.getProperty("otaproxy.it.work"));
    }

    protected Path yaml() {
        return work().resolve("proxy_info.yml");
    }

    /** Replaces proxy_info.yml atomically, as an operator's editor or a provisioning tool would. */
    protected void writeYaml(final String content) throws IOException {
        final Path tmp = work().resolve("proxy_info.yml.tmp");
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(tmp, yaml(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Waits until the proxy answers a request addressed to itself (the ECUs' readiness probe) with 400. The port was
     * free when the test picked it, before the framework started; if something else took it meanwhile (the proxy
     * then cannot bind and never answers), the proxy is moved to a new free port through proxy_info.yml, as an
     * operator would, and the test goes on there.
     */
    @Before
    public void awaitProxy() throws Exception {
        try {
            awaitProxyOn(proxyPort(), 15_000);
        } catch (final AssertionError notListening) {
            final int next = freePort();
            System.err.println("The proxy does not answer on port " + proxyPort() + " (taken meanwhile?); moving it to "
                    + next);
            System.setProperty("otaproxy.it.port", Integer.toString(next));
            writeYaml(baseYaml(next, work()) + extraYaml());
            awaitProxyOn(next);
        }
    }

    /** With a framework per test method the file outlives the test: leave it as the next test expects it. */
    @After
    public void restoreYaml() throws IOException {
        writeYaml(baseYaml(proxyPort(), work()) + extraYaml());
    }

    protected static void awaitProxyOn(final int port) throws InterruptedException {
        awaitProxyOn(port, 30_000);
    }

    private static void awaitProxyOn(final int port, final long millis) throws InterruptedException {
        final long deadline = System.nanoTime() + millis * 1_000_000L;
        while (System.nanoTime() < deadline) {
            try {
                final RawHttpClient.Response r = RawHttpClient.exchange(port, "GET", "/", true);
                if (r.status == 400) {
                    return;
                }
            } catch (final IOException e) {
                // not listening yet
            }
            Thread.sleep(50);
        }
        throw new AssertionError("proxy did not start answering on port " + port);
    }

    protected Bundle installedBundle(final String symbolicName) {
        for (final Bundle b : context.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("no bundle " + symbolicName);
    }

    /**
     * What a console does: reads {@code pid}'s configuration, changes one property ({@code null} removes it), and
     * writes the whole of it back. The configuration must exist: proxy_info.yml's settings were published.
     */
    protected void consoleEdit(final String pid, final String key, final Object value) throws IOException {
        final org.osgi.service.cm.Configuration configuration = configAdmin.getConfiguration(pid, "?");
        final java.util.Dictionary<String, Object> current = configuration.getProperties();
        if (current == null) {
            throw new AssertionError(pid + " has no configuration: proxy_info.yml's settings were not published");
        }
        final java.util.Hashtable<String, Object> props = new java.util.Hashtable<>();
        for (final String k : java.util.Collections.list(current.keys())) {
            props.put(k, current.get(k));
        }
        if (value == null) {
            props.remove(key);
        } else {
            props.put(key, value);
        }
        configuration.update(props);
    }


    /** Waits, at most 20 s, until the admin endpoint's {@code /api/status} satisfies {@code condition}; returns it. */
    protected String awaitStatus(final java.util.function.Predicate<String> condition) throws Exception {
        final long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
        String last = "";
        while (System.nanoTime() < deadline) {
            try {
                final io.otaproxy.testing.RawHttpClient.Response r = io.otaproxy.testing.RawHttpClient.exchange(
                        adminPort(), "GET", "/api/status", true);
                last = r.bodyText();
                if (r.status == 200 && condition.test(last)) {
                    return last;
                }
            } catch (final IOException e) {
                last = e.toString(); // the admin listener may still be starting
            }
            Thread.sleep(50);
        }
        throw new AssertionError("/api/status never matched; last: " + last);
    }
}
