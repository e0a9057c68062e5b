package io.otaproxy.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import io.otaproxy.testing.RawHttpClient;
import io.otaproxy.testing.TestOrigin;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * The precedence between proxy_info.yml and ConfigAdmin, in a Felix of the test's own whose storage outlives it:
 * a console-style edit (read the configuration, change a property, write it back) survives an edit of the file,
 * a restart of the framework on the same storage and an update of the configuration bundle. Pax Exam cannot
 * restart the framework its test runs in, hence a framework started here; the test talks to its ConfigAdmin by
 * reflection, as the bundles' classes are not the test's.
 */
public final class ConfigPrecedenceIT {

    private static final String CM = "org.osgi.service.cm.ConfigurationAdmin";

    private Path work;
    private Path storage;
    private int port;
    private int filePort; // the port proxy_info.yml names
    private TestOrigin origin;
    private Framework framework;

    @Before
    public void setUp() throws IOException {
        work = Files.createTempDirectory("ota-proxy-precedence-");
        storage = work.resolve("felix");
        port = freePort();
        filePort = port;
        origin = TestOrigin.start();
        writeYaml("");
    }

    @After
    public void tearDown() throws Exception {
        try {
            stopFramework();
        } finally {
            origin.close();
            try (java.util.stream.Stream<Path> files = Files.walk(work)) {
                files.sorted(java.util.Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
        }
    }

    @Test
    public void aConsoleEditSurvivesAFileEditARestartAndAnUpdateOfTheConfigurationBundle() throws Exception {
        origin.put("/f", new byte[] {1, 2, 3});
        startFramework();
        assertEquals(200, getUntil(r -> r.status == 200).status);

        // the console: only 10.9.9.9 may be fetched from
        consoleEdit("io.otaproxy.proxy", "allowed.upstreams", new String[] {"10.9.9.9"});
        assertEquals(403, getUntil(r -> r.status == 403).status);

        // an unrelated edit of the file applies, and the console's value stays
        writeYaml("log_level: debug\n");
        awaitProperty("io.otaproxy.logging", "log.level", "debug");
        assertAllowedUpstreams("after an edit of the file");

        // a restart on the same storage
        stopFramework();
        startFramework();
        assertAllowedUpstreams("after a restart");
        assertEquals(403, getUntil(r -> r.status == 403).status);

        // an update of the configuration bundle, then another edit of the file
        final Bundle config = bundle("io.otaproxy.config");
        try (InputStream in = new URL(config.getLocation()).openStream()) {
            config.update(in);
        }
        final CompletableFuture<Void> refreshed = new CompletableFuture<>();
        framework.adapt(FrameworkWiring.class).refreshBundles(List.of(config), e -> refreshed.complete(null));
        refreshed.get(30, TimeUnit.SECONDS);
        writeYaml("log_level: warn\nallowed_upstreams: [127.0.0.1]\n");
        awaitProperty("io.otaproxy.logging", "log.level", "warn");
        assertAllowedUpstreams("after an update of the bundle and an edit of the same key in the file");
        assertEquals(403, RawHttpClient.get(port, origin.url("/f")).status);

        // deleting the property hands it back to the file at once, without waiting for an edit of the file
        consoleEdit("io.otaproxy.proxy", "allowed.upstreams", null);
        awaitAllowedUpstreams("127.0.0.1");
        assertEquals(200, getUntil(r -> r.status == 200).status);
        // and the file's next edit of it applies
        writeYaml("log_level: info\nallowed_upstreams: [127.0.0.1, 10.1.1.1]\n");
        awaitAllowedUpstreams("127.0.0.1", "10.1.1.1");
    }

    @Test
    public void theProxysListenPortSetInAConsoleMovesItsListener() throws Exception {
        origin.put("/f", new byte[] {1, 2, 3});
        startFramework();
        assertEquals(200, getUntil(r -> r.status == 200).status);
        final int before = port;
        port = freePort();
        consoleEdit("io.otaproxy.proxy", "listen.port", port);
        awaitProperty("org.apache.felix.http~otaproxy", "org.osgi.service.http.port", port);
        awaitProxy();
        assertEquals(200, getUntil(r -> r.status == 200).status);
        try {
            RawHttpClient.get(before, origin.url("/f"));
            throw new AssertionError("the old port " + before + " still answers");
        } catch (final IOException expected) {
            // nothing listens there any more
        }
        // an unrelated edit of the file leaves the listener where the console put it
        writeYaml("log_level: debug\n"); // the file still names the old port
        awaitProperty("io.otaproxy.logging", "log.level", "debug");
        assertEquals(port, properties("org.apache.felix.http~otaproxy").get("org.osgi.service.http.port"));
        assertEquals(200, RawHttpClient.get(port, origin.url("/f")).status);
    }

    private void awaitAllowedUpstreams(final String... expected) throws Exception {
        final long deadline = System.nanoTime() + 20_000_000_000L;
        Object now = null;
        while (System.nanoTime() < deadline) {
            now = properties("io.otaproxy.proxy").get("allowed.upstreams");
            if (now instanceof String[] && Arrays.equals(expected, (String[]) now)) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("allowed.upstreams never became " + Arrays.toString(expected) + ": "
                + (now instanceof String[] ? Arrays.toString((String[]) now) : now));
    }

    private void assertAllowedUpstreams(final String when) throws Exception {
        assertArrayEquals(when, new String[] {"10.9.9.9"},
                (String[]) properties("io.otaproxy.proxy").get("allowed.upstreams"));
    }

    private void startFramework() throws Exception {
        final Map<String, String> props = new HashMap<>();
        props.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        props.put(Constants.FRAMEWORK_BEGINNING_STARTLEVEL, "4");
        props.put("felix.service.urlhandlers", "false");
        props.put("otaproxy.config", work.resolve("proxy_info.yml").toString());
        props.put("otaproxy.config.poll.ms", "100");
        props.put("org.apache.felix.http.enable", "false");
        final FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class).iterator().next();
        framework = factory.newFramework(props);
        framework.init();
        final BundleContext context = framework.getBundleContext();
        if (context.getBundles().length == 1) {
            final File[] jars = Objects.requireNonNull(new File(System.getProperty("otaproxy.bundles.dir"))
                    .listFiles(), "bundles dir");
            Arrays.sort(jars);
            for (final File jar : jars) {
                final Bundle b = context.installBundle(jar.toURI().toString());
                final String name = jar.getName();
                // slf4j binds its provider once: SPI Fly, ASM and slf4j must start before anything logs
                final boolean early = name.startsWith("org.apache.aries.spifly") || name.startsWith("asm")
                        || name.startsWith("slf4j");
                b.adapt(BundleStartLevel.class).setStartLevel(early ? 1 : 4);
                if (b.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                    b.start();
                }
            }
        }
        framework.start();
        awaitProxy();
    }

    private void stopFramework() throws Exception {
        if (framework != null) {
            framework.stop();
            final FrameworkEvent event = framework.waitForStop(30_000);
            assertEquals("the framework stopped", FrameworkEvent.STOPPED, event.getType());
            framework = null;
        }
    }

    private Bundle bundle(final String symbolicName) {
        for (final Bundle b : framework.getBundleContext().getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("no bundle " + symbolicName);
    }

    /** The framework's ConfigurationAdmin, through reflection: its interface is the framework's, not the test's. */
    private Object configAdmin() throws Exception {
        final long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            // all references: the test's class path has its own org.osgi.service.cm, which is not the bundles'
            final ServiceReference<?>[] refs = framework.getBundleContext().getAllServiceReferences(CM, null);
            if (refs != null) {
                final Object service = framework.getBundleContext().getService(refs[0]);
                if (service != null) {
                    return service;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no ConfigurationAdmin");
    }

    private Object configuration(final String pid) throws Exception {
        final Object cm = configAdmin();
        final Method get = cm.getClass().getMethod("getConfiguration", String.class, String.class);
        return get.invoke(cm, pid, "?");
    }

    @SuppressWarnings("unchecked")
    private Dictionary<String, Object> properties(final String pid) throws Exception {
        final Object configuration = configuration(pid);
        return (Dictionary<String, Object>) publicMethod(configuration, "getProperties").invoke(configuration);
    }

    /** What a console does: read the configuration, change one property, write the whole of it back. */
    private void consoleEdit(final String pid, final String key, final Object value) throws Exception {
        final Object configuration = configuration(pid);
        final Hashtable<String, Object> props = new Hashtable<>();
        final Dictionary<String, Object> current = properties(pid);
        for (final String k : Collections.list(current.keys())) {
            props.put(k, current.get(k));
        }
        if (value == null) {
            props.remove(key);
        } else {
            props.put(key, value);
        }
        publicMethod(configuration, "update", Dictionary.class).invoke(configuration, props);
    }

    /** The interface's method: the implementation class is not public. */
    private static Method publicMethod(final Object target, final String name, final Class<?>... types)
            throws NoSuchMethodException {
        for (final Class<?> type : target.getClass().getInterfaces()) {
            try {
                return type.getMethod(name, types);
            } catch (final NoSuchMethodException e) {
                // try the next interface
            }
        }
        return target.getClass().getMethod(name, types);
    }

    private void awaitProperty(final String pid, final String key, final Object expected) throws Exception {
        final long deadline = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < deadline) {
            final Dictionary<String, Object> p = properties(pid);
            if (p != null && expected.equals(p.get(key))) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(pid + " " + key + " never became " + expected + ": " + properties(pid));
    }

    private void awaitProxy() throws InterruptedException {
        final long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            try {
                if (RawHttpClient.exchange(port, "GET", "/", true).status == 400) {
                    return;
                }
            } catch (final IOException e) {
                // not listening yet
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the proxy did not start answering on port " + port);
    }

    private RawHttpClient.Response getUntil(final Predicate<RawHttpClient.Response> done) throws Exception {
        final long deadline = System.nanoTime() + 20_000_000_000L;
        RawHttpClient.Response r = RawHttpClient.get(port, origin.url("/f"));
        while (!done.test(r) && System.nanoTime() < deadline) {
            Thread.sleep(50);
            r = RawHttpClient.get(port, origin.url("/f"));
        }
        return r;
    }

    private void writeYaml(final String extra) throws IOException {
        final String yaml = "local_ota_proxy_listen_addr: 127.0.0.1\n"
                + "local_ota_proxy_listen_port: " + filePort + "\n"
                + "cache_dir: " + work.resolve("cache") + "\n"
                + "admin_listen_port: 0\n" + extra;
        final Path tmp = work.resolve("proxy_info.yml.tmp");
        Files.writeString(tmp, yaml, StandardCharsets.UTF_8);
        Files.move(tmp, work.resolve("proxy_info.yml"), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
