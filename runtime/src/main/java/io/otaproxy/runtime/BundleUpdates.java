package io.otaproxy.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * Updates of the running bundle set through a deploy directory, each behind the {@link HealthGate}. A bundle jar
 * dropped into {@code <data-dir>/deploy} (once its size has stopped changing) replaces the installed bundle of the
 * same symbolic name: update, refresh of what depends on it, start of anything left stopped. Within a bounded time
 * the set must be healthy again; then the jar moves to {@code deploy/applied} and is kept as the bundle's current
 * version. If not, the previous version is put back the same way, the failure is logged at ERROR, and the jar moves
 * to {@code deploy/failed} with the reason beside it. The cache is never touched: a bundle's stop leaves it
 * consistent on disk, and the new or restored bundle opens it again.
 */
final class BundleUpdates {

    static final long POLL_MILLIS = 1_000;
    static final long HEALTH_MILLIS = 30_000;
    private static final long REFRESH_MILLIS = 60_000;

    private final BundleContext context;
    private final HealthGate gate;
    private final UpdateSigners signers;
    private final Path deploy;
    private final Path applied;
    private final Path failed;
    private final Path current;
    private final Map<Path, Long> pending = new HashMap<>();
    private final Thread thread;
    private volatile boolean stopped;

    /**
     * @param dataDir the launcher's data directory: {@code deploy/} is watched, {@code bundles/} keeps the current
     *                version of every updated bundle (the embedded one is the previous version of the others)
     * @param signers who must have signed an update, or null to take unsigned ones
     */
    BundleUpdates(final BundleContext context, final HealthGate gate, final Path dataDir, final UpdateSigners signers)
            throws IOException {
        this.context = context;
        this.gate = gate;
        this.signers = signers;
        this.deploy = dataDir.resolve("deploy");
        this.applied = deploy.resolve("applied");
        this.failed = deploy.resolve("failed");
        this.current = currentVersions(dataDir);
        for (final Path dir : List.of(deploy, applied, failed, current)) {
            Files.createDirectories(dir);
        }
        this.thread = new Thread(this::watch, "ota-proxy-deploy");
        thread.setDaemon(true);
    }

    /** The directory the current versions of updated bundles are kept in. */
    static Path currentVersions(final Path dataDir) {
        return dataDir.resolve("bundles");
    }

    void start() {
        thread.start();
        if (signers != null) {
            log("INFO", "applying bundle updates dropped into " + deploy + " when signed by one of "
                    + signers.size() + " trusted certificate(s)");
        } else {
            log("WARN", "applying bundle updates dropped into " + deploy + " without checking signatures"
                    + " (no --update-signers): whoever can write there can change the proxy");
        }
    }

    void stop() {
        stopped = true;
        thread.interrupt();
    }

    private void watch() {
        while (!stopped) {
            try {
                scan();
                Thread.sleep(POLL_MILLIS);
            } catch (final InterruptedException e) {
                return;
            } catch (final IOException | RuntimeException e) {
                log("WARN", "the deploy directory cannot be read: " + e);
                try {
                    Thread.sleep(POLL_MILLIS);
                } catch (final InterruptedException stop) {
                    return;
                }
            }
        }
    }

    /** Applies each jar whose size has not changed since the last look (a copy in progress is left alone). */
    void scan() throws IOException, InterruptedException {
        final Map<Path, Long> seen = new HashMap<>();
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(deploy, "*.jar")) {
            for (final Path jar : jars) {
                if (Files.isRegularFile(jar)) {
                    seen.put(jar, Files.size(jar));
                }
            }
        }
        final List<Path> ready = new ArrayList<>();
        for (final Map.Entry<Path, Long> e : seen.entrySet()) {
            if (e.getValue().equals(pending.get(e.getKey()))) {
                ready.add(e.getKey());
            }
        }
        pending.clear();
        pending.putAll(seen);
        ready.forEach(pending::remove);
        ready.sort(null);
        for (final Path jar : ready) {
            apply(jar);
        }
    }

    /** Applies one jar: the update, the health gate, and the rollback when the gate does not open. */
    void apply(final Path jar) throws IOException, InterruptedException {
        final String unsigned = signers == null ? null : signers.refusal(jar);
        if (unsigned != null) {
            reject(jar, "not accepted: " + unsigned);
            return;
        }
        final String name = symbolicName(jar);
        final Bundle target = name == null ? null : installed(name);
        if (target == null) {
            reject(jar, name == null ? "not an OSGi bundle (no Bundle-SymbolicName)"
                    : "no installed bundle " + name + " to update (only bundles of the set are updated)");
            return;
        }
        final String from = target.getVersion().toString();
        final byte[] previous = currentBytes(target);
        final Set<String> expected = gate.services();
        log("INFO", "updating " + name + " " + from + " from " + jar.getFileName());
        String problem;
        try (InputStream in = Files.newInputStream(jar)) {
            problem = replace(target, in);
            if (problem == null) {
                problem = gate.await(expected, HEALTH_MILLIS);
            }
        } catch (final BundleException e) {
            problem = "the update failed: " + e.getMessage();
        }
        if (problem == null) {
            Files.copy(jar, current.resolve(name + ".jar"), StandardCopyOption.REPLACE_EXISTING);
            Files.move(jar, applied.resolve(jar.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            log("INFO", "update applied: " + name + " " + from + " -> " + target.getVersion());
            return;
        }
        log("ERROR", "update of " + name + " to " + target.getVersion() + " failed its health check (" + problem
                + "); rolling back to " + from);
        String after;
        try {
            after = replace(target, new java.io.ByteArrayInputStream(previous));
            if (after == null) {
                after = gate.await(expected, HEALTH_MILLIS);
            }
        } catch (final BundleException e) {
            after = "the rollback failed: " + e.getMessage();
        }
        if (after == null) {
            log("INFO", "rolled back: " + name + " " + target.getVersion() + " serves again");
        } else {
            log("ERROR", "rollback of " + name + " to " + from + " is not healthy either: " + after);
        }
        reject(jar, problem);
    }

    /**
     * Updates the bundle, refreshes what wired to it, and starts whatever that left stopped.
     *
     * @return null, or the bundles that cannot start (e.g. their imports no longer resolve): no wait will help
     */
    private String replace(final Bundle target, final InputStream in) throws BundleException, InterruptedException {
        target.update(in);
        final CountDownLatch refreshed = new CountDownLatch(1);
        context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).adapt(FrameworkWiring.class)
                .refreshBundles(List.of(target), event -> refreshed.countDown());
        if (!refreshed.await(REFRESH_MILLIS, TimeUnit.MILLISECONDS)) {
            throw new BundleException("the refresh after updating " + target.getSymbolicName() + " did not end");
        }
        final List<String> cannotStart = new ArrayList<>();
        for (final Bundle bundle : context.getBundles()) {
            if (bundle.getHeaders().get(Constants.FRAGMENT_HOST) == null && bundle.getState() != Bundle.ACTIVE
                    && bundle.getState() != Bundle.UNINSTALLED) {
                try {
                    bundle.start(); // a dependent left INSTALLED by an earlier failed update resolves again
                } catch (final BundleException e) {
                    cannotStart.add(bundle.getSymbolicName() + " " + bundle.getVersion() + " (" + e.getMessage()
                            + ")");
                }
            }
        }
        return cannotStart.isEmpty() ? null : "bundles cannot start: " + String.join("; ", cannotStart);
    }

    /** The bytes of the bundle's running version: the last update applied, else the one embedded in the jar. */
    private byte[] currentBytes(final Bundle bundle) throws IOException {
        final Path updated = current.resolve(bundle.getSymbolicName() + ".jar");
        if (Files.isRegularFile(updated)) {
            return Files.readAllBytes(updated);
        }
        final String location = bundle.getLocation();
        if (!location.startsWith(EmbeddedFramework.EMBEDDED)) {
            throw new IOException("no copy of " + bundle.getSymbolicName() + " to roll back to");
        }
        try (InputStream in = EmbeddedFramework.openEmbedded(location.substring(EmbeddedFramework.EMBEDDED.length()))) {
            return in.readAllBytes();
        }
    }

    private Bundle installed(final String symbolicName) {
        for (final Bundle bundle : context.getBundles()) {
            if (symbolicName.equals(bundle.getSymbolicName())) {
                return bundle;
            }
        }
        return null;
    }

    private void reject(final Path jar, final String reason) throws IOException {
        final Path target = failed.resolve(jar.getFileName());
        Files.move(jar, target, StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(failed.resolve(jar.getFileName() + ".reason"), reason + System.lineSeparator(),
                StandardCharsets.UTF_8);
        log("ERROR", "bundle update " + jar.getFileName() + " refused: " + reason);
    }

    /** The jar's Bundle-SymbolicName without its directives, or null when it has none. */
    static String symbolicName(final Path jar) throws IOException {
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
            final Manifest manifest = in.getManifest();
            final String value = manifest == null ? null
                    : manifest.getMainAttributes().getValue(Constants.BUNDLE_SYMBOLICNAME);
            if (value == null) {
                return null;
            }
            final int semicolon = value.indexOf(';');
            return (semicolon < 0 ? value : value.substring(0, semicolon)).trim();
        } catch (final IOException e) {
            return null; // not a jar: refused with the reason "not an OSGi bundle"
        }
    }

    private static void log(final String level, final String message) {
        System.err.println("[ota-proxy] " + level + " " + message);
    }
}
