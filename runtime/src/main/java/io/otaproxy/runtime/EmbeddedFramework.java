package io.otaproxy.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.startlevel.FrameworkStartLevel;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Starts the Felix framework with the bundles embedded in the jar, in start levels that bind logging before
 * anything logs and deliver the configuration before the proxy listens.
 */
final class EmbeddedFramework {

    /** Where the build puts the bundle set inside the jar. */
    private static final String BUNDLE_DIR = "bundles/";
    /** The location prefix of the bundles installed from the jar. */
    static final String EMBEDDED = "embedded:";
    /** In the data directory: which embedded bundle set its framework storage was made from. */
    private static final String SET_FILE = "embedded-set";
    private static final String LISTENER_FILTER = "(&(objectClass=org.osgi.service.servlet.runtime.HttpServiceRuntime)"
            + "(org.apache.felix.http.name=otaproxy))";
    private static final String ADMIN_FILTER = "(&(objectClass=org.osgi.service.servlet.runtime.HttpServiceRuntime)"
            + "(org.apache.felix.http.name=otaproxy-admin))";
    private static final int FINAL_START_LEVEL = 10;

    private final LaunchOptions options;
    private volatile Framework framework;
    private volatile InetSocketAddress proxyAddress;
    private Path storage;
    private boolean temporaryStorage;
    private BundleUpdates updates;
    private FileChannel lock;

    EmbeddedFramework(final LaunchOptions options) {
        this.options = options;
    }

    void start() throws Exception {
        final Path dataDir = options.dataDir();
        final String set = embeddedSet();
        final boolean restore;
        if (dataDir == null) {
            storage = Files.createTempDirectory("ota-proxy-felix-");
            temporaryStorage = true;
            restore = false;
        } else {
            Files.createDirectories(dataDir);
            lock = lockDataDir(dataDir);
            storage = dataDir.resolve("framework");
            // the storage holds what was installed and updated since; a jar with another bundle set starts afresh
            restore = Files.isDirectory(storage) && set.equals(readOrNull(dataDir.resolve(SET_FILE)));
        }
        final Map<String, String> props = frameworkProperties(!restore);
        final FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class).iterator().next();
        final Framework fw = factory.newFramework(props);
        fw.init();
        framework = fw;
        final BundleContext context = fw.getBundleContext();
        if (!restore) {
            if (dataDir != null) {
                deleteTree(BundleUpdates.currentVersions(dataDir)); // updates of another bundle set
                deleteTree(DeploymentPackages.kept(dataDir));
            }
            for (final String jar : embeddedBundles()) {
                try (InputStream in = openEmbedded(jar)) {
                    final Bundle bundle = context.installBundle(EMBEDDED + jar, in);
                    bundle.adapt(BundleStartLevel.class).setStartLevel(startLevel(bundle.getSymbolicName()));
                }
            }
        }
        final List<Bundle> installed = new ArrayList<>();
        for (final Bundle bundle : context.getBundles()) {
            if (bundle.getBundleId() != 0) {
                installed.add(bundle);
            }
        }
        for (final Bundle bundle : installed) {
            if (bundle.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                bundle.start();
            }
        }
        fw.start();
        raiseStartLevel(fw);
        checkAllActive(installed);
        reportListener(context, LISTENER_FILTER, "listening on", true);
        reportListener(context, ADMIN_FILTER, "admin endpoint (metrics, status) on", false);
        if (dataDir != null) {
            Files.writeString(dataDir.resolve(SET_FILE), set, StandardCharsets.UTF_8);
            reportUpdated(installed, dataDir);
            final UpdateSigners signers = options.updateSigners() == null ? null
                    : UpdateSigners.load(options.updateSigners());
            updates = new BundleUpdates(context, new HealthGate(context, () -> proxyAddress), dataDir, signers);
            updates.start();
        }
    }

    /** One process per data directory: a second one would share the framework's storage and corrupt it. */
    private static FileChannel lockDataDir(final Path dataDir) throws IOException {
        final FileChannel channel = FileChannel.open(dataDir.resolve("lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        if (channel.tryLock() == null) {
            channel.close();
            throw new IOException("the data directory " + dataDir + " is in use by another ota-proxy");
        }
        return channel;
    }

    /**
     * Names the bundles running in a version other than the one embedded in the jar: updates applied earlier, and the
     * bundles of installed deployment packages.
     */
    private static void reportUpdated(final List<Bundle> installed, final Path dataDir) {
        final List<String> updated = new ArrayList<>();
        for (final Bundle bundle : installed) {
            if (bundle.getLocation().startsWith(DeploymentPackages.LOCATION)) {
                updated.add(bundle.getSymbolicName() + " " + bundle.getVersion() + " (package)");
            } else if (Files.isRegularFile(BundleUpdates.currentVersions(dataDir).resolve(bundle.getSymbolicName()
                    + ".jar"))) {
                updated.add(bundle.getSymbolicName() + " " + bundle.getVersion());
            }
        }
        if (!updated.isEmpty()) {
            System.err.println("[ota-proxy] INFO running updated bundles: " + String.join(", ", updated));
        }
    }

    /** What identifies the embedded bundle set: each bundle's name, size and CRC, as the jar records them. */
    private static String embeddedSet() throws IOException {
        final Path source = launcherLocation();
        final StringBuilder set = new StringBuilder();
        if (Files.isDirectory(source)) {
            for (final String name : embeddedBundles()) {
                final Path file = source.resolve(BUNDLE_DIR).resolve(name);
                set.append(name).append(' ').append(Files.size(file)).append(' ')
                        .append(Files.getLastModifiedTime(file).toMillis()).append('\n');
            }
        } else {
            try (JarFile jar = new JarFile(source.toFile())) {
                for (final String name : embeddedBundles()) {
                    final JarEntry entry = jar.getJarEntry(BUNDLE_DIR + name);
                    set.append(name).append(' ').append(entry.getSize()).append(' ').append(entry.getCrc())
                            .append('\n');
                }
            }
        }
        return set.toString();
    }

    private static String readOrNull(final Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (final IOException e) {
            return null;
        }
    }

    /** Raises the start level and waits for it, so a bundle that fails to start is known before serving. */
    private static void raiseStartLevel(final Framework fw) throws InterruptedException {
        final CountDownLatch reached = new CountDownLatch(1);
        fw.adapt(FrameworkStartLevel.class).setStartLevel(FINAL_START_LEVEL, event -> {
            if (event.getType() == FrameworkEvent.STARTLEVEL_CHANGED) {
                reached.countDown();
            }
        });
        if (!reached.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the framework did not reach start level " + FINAL_START_LEVEL);
        }
    }

    /** A bundle set with a bundle that did not start is not a working proxy: refuse to run half of it. */
    private static void checkAllActive(final List<Bundle> installed) throws BundleException {
        final List<String> broken = new ArrayList<>();
        for (final Bundle bundle : installed) {
            if (bundle.getHeaders().get(Constants.FRAGMENT_HOST) == null && bundle.getState() != Bundle.ACTIVE) {
                broken.add(bundle.getSymbolicName());
            }
        }
        if (!broken.isEmpty()) {
            throw new BundleException("bundles did not start: " + broken);
        }
    }

    private Map<String, String> frameworkProperties(final boolean clean) throws IOException {
        final Map<String, String> props = new HashMap<>();
        final Properties defaults = new Properties();
        try (InputStream in = EmbeddedFramework.class.getResourceAsStream("/framework.properties")) {
            if (in != null) {
                defaults.load(in);
            }
        }
        defaults.forEach((k, v) -> props.put((String) k, (String) v));
        props.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        if (clean) {
            props.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        }
        props.put("org.osgi.framework.startlevel.beginning", "1"); // raised once everything is installed
        if (options.dataDir() != null) {
            props.put("otaproxy.data.dir", options.dataDir().toString()); // the admin page shows refused updates
        }
        if (options.configFile() != null) {
            props.put("otaproxy.config", Path.of(options.configFile()).toAbsolutePath().normalize().toString());
        }
        options.overrides().forEach((key, value) -> props.put("otaproxy.override." + key, value));
        // -Dkey=value on the command line wins over the embedded defaults
        System.getProperties().forEach((k, v) -> {
            final String key = (String) k;
            if (defaults.containsKey(key) || key.startsWith("otaproxy.") || key.startsWith("org.apache.felix.")) {
                props.put(key, (String) v);
            }
        });
        return props;
    }

    /** Lists the bundles embedded under bundles/ in this jar (or in the classes directory when run from a build). */
    private static List<String> embeddedBundles() throws IOException {
        final Path source = launcherLocation();
        final List<String> names = new ArrayList<>();
        if (Files.isDirectory(source)) {
            try (Stream<Path> files = Files.list(source.resolve(BUNDLE_DIR))) {
                files.map(f -> f.getFileName().toString()).forEach(names::add);
            }
        } else {
            try (JarFile jar = new JarFile(source.toFile())) {
                jar.stream().map(JarEntry::getName)
                        .filter(n -> n.startsWith(BUNDLE_DIR) && n.length() > BUNDLE_DIR.length())
                        .map(n -> n.substring(BUNDLE_DIR.length())).forEach(names::add);
            }
        }
        // installing in name order makes bundle ids, and so the start order within a level, predictable
        return names.stream().filter(n -> n.endsWith(".jar") && !n.contains("/")).sorted().toList();
    }

    /** The launcher jar, or the classes directory when run from a build. */
    private static Path launcherLocation() throws IOException {
        try {
            return Path.of(EmbeddedFramework.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (final java.net.URISyntaxException e) {
            throw new IOException("cannot locate the launcher jar", e);
        }
    }

    static InputStream openEmbedded(final String jar) throws IOException {
        final URL url = EmbeddedFramework.class.getResource("/" + BUNDLE_DIR + jar);
        if (url == null) {
            throw new IOException("embedded bundle missing: " + jar);
        }
        return url.openStream();
    }

    /**
     * slf4j binds its provider once: SPI Fly and ASM must be running before slf4j, and slf4j before anything that
     * logs. ConfigAdmin comes before the components so that their configurations wait for them.
     */
    static int startLevel(final String symbolicName) {
        if (symbolicName == null) {
            return FINAL_START_LEVEL;
        }
        if (symbolicName.startsWith("org.apache.aries.spifly") || symbolicName.startsWith("org.objectweb.asm")) {
            return 1;
        }
        if (symbolicName.startsWith("slf4j.")) {
            return 2;
        }
        if (symbolicName.equals("org.apache.felix.configadmin")) {
            return 5;
        }
        return FINAL_START_LEVEL;
    }

    /** Logs a listener's address once it is up: the proxy's is the one line an operator looks for. */
    private void reportListener(final BundleContext context, final String listener, final String what,
            final boolean proxy) throws InvalidSyntaxException {
        final Filter filter = FrameworkUtil.createFilter(listener);
        final ServiceTracker<Object, Object> tracker = new ServiceTracker<>(context, filter, null) {
            @Override
            public Object addingService(final ServiceReference<Object> reference) {
                final Object endpoint = reference.getProperty("osgi.http.endpoint");
                // each address once: the proxy's request-head deadline adds a second, non-listening connector
                // with the same address, which Felix HTTP lists as an endpoint too
                final String where = endpoint instanceof String[] a && a.length > 0
                        ? String.join(", ", new java.util.LinkedHashSet<>(java.util.Arrays.asList(a)))
                        : String.valueOf(endpoint);
                System.err.println("[ota-proxy] INFO " + what + " " + where);
                if (proxy) {
                    proxyAddress = addressOf(endpoint);
                }
                return reference;
            }

            @Override
            public void removedService(final ServiceReference<Object> reference, final Object service) {
                if (proxy) {
                    proxyAddress = null;
                }
            }
        };
        tracker.open();
    }

    /** Where to reach a listener from this host: its endpoint's address, loopback for a wildcard address. */
    static InetSocketAddress addressOf(final Object endpoint) {
        final String first = endpoint instanceof String[] a && a.length > 0 ? a[0] : String.valueOf(endpoint);
        try {
            final java.net.URI uri = java.net.URI.create(first);
            final String host = uri.getHost();
            final boolean wildcard = host == null || host.equals("0.0.0.0") || host.equals("[::]") || host.equals("::");
            return new InetSocketAddress(wildcard ? "127.0.0.1" : host, uri.getPort());
        } catch (final IllegalArgumentException e) {
            return null;
        }
    }

    void awaitStop() throws InterruptedException {
        final Framework fw = framework;
        if (fw != null) {
            fw.waitForStop(0);
        }
    }

    /** Stops the framework: components deactivate, so the cache is left consistent on disk. */
    void stop() {
        final Framework fw = framework;
        if (fw == null) {
            return;
        }
        if (updates != null) {
            updates.stop();
        }
        try {
            fw.stop();
            fw.waitForStop(TimeUnit.SECONDS.toMillis(30));
        } catch (final BundleException | InterruptedException e) {
            System.err.println("ota-proxy: stopping the framework failed: " + e);
        } finally {
            if (temporaryStorage) {
                deleteTree(storage); // in the temp directory; leaving it behind would be harmless
            }
            if (lock != null) {
                try {
                    lock.close();
                } catch (final IOException e) {
                    // the lock goes with the process anyway
                }
            }
        }
    }

    private static void deleteTree(final Path root) {
        if (root == null) {
            return;
        }
        try {
            DeploymentPackages.deleteTree(root);
        } catch (final IOException e) {
            // what is left is overwritten or ignored next time
        }
    }
}
