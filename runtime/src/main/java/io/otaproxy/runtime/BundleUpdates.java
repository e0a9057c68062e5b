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
import java.util.function.Supplier;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.SynchronousBundleListener;
import org.osgi.framework.namespace.BundleNamespace;
import org.osgi.framework.namespace.HostNamespace;
import org.osgi.framework.namespace.IdentityNamespace;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.resource.Capability;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * Updates of the running bundle set through a deploy directory, each behind the {@link HealthGate}. A bundle jar
 * dropped into {@code <data-dir>/deploy} (once its size has stopped changing) replaces the installed bundle of the
 * same symbolic name: update, refresh of what depends on it unless it can do without (see {@link #refreshNeeded}),
 * start of anything left stopped. Within a bounded time
 * the set must be healthy again; then the jar moves to {@code deploy/applied} and is kept as the bundle's current
 * version. If not, the previous version is put back the same way, the failure is logged at ERROR, and the jar moves
 * to {@code deploy/failed} with the reason beside it. The cache is never touched: a bundle's stop leaves it
 * consistent on disk, and the new or restored bundle opens it again. A deployment package ({@code *.dp}) dropped
 * there is installed through Deployment Admin behind the same gate, only when signed (see {@link #applyPackage}).
 */
final class BundleUpdates {

    static final long POLL_MILLIS = 1_000;
    static final long HEALTH_MILLIS = 30_000;
    private static final long REFRESH_MILLIS = 60_000;
    /** The namespace of extenders such as Declarative Services (the framework's jar lacks its constant's class). */
    private static final String EXTENDER_NAMESPACE = "osgi.extender";

    private final BundleContext context;
    private final HealthGate gate;
    private final UpdateSigners signers;
    private final Path deploy;
    private final Path applied;
    private final Path failed;
    private final Path current;
    private final DeploymentPackages packages;
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
        this.packages = new DeploymentPackages(context, dataDir);
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
        logSet();
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
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(deploy, "*.{jar,dp}")) {
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
        if (jar.getFileName().toString().endsWith(".dp")) {
            try {
                applyPackage(jar);
            } finally {
                logSet();
            }
            return;
        }
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
        if (target.getLocation().startsWith(DeploymentPackages.LOCATION)) {
            reject(jar, name + " belongs to an installed deployment package: deliver a fix-pack of that package");
            return;
        }
        final String from = target.getVersion().toString();
        final byte[] previous = currentBytes(target);
        final Set<String> expected = gate.services();
        log("INFO", "updating " + name + " " + from + " from " + jar.getFileName());
        String problem;
        final Restarts restarts = new Restarts(context);
        try (InputStream in = Files.newInputStream(jar)) {
            problem = replace(target, in);
            if (problem == null) {
                problem = gate.await(expected, HEALTH_MILLIS);
            }
        } catch (final BundleException e) {
            problem = "the update failed: " + e.getMessage();
        } finally {
            restarts.close();
        }
        log("INFO", "update of " + name + " " + restarts);
        if (problem == null) {
            Files.copy(jar, current.resolve(name + ".jar"), StandardCopyOption.REPLACE_EXISTING);
            Files.move(jar, applied.resolve(jar.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            log("INFO", "update applied: " + name + " " + from + " -> " + target.getVersion());
            return;
        }
        log("ERROR", "update of " + name + " to " + target.getVersion() + " failed its health check (" + problem
                + "); rolling back to " + from);
        rollBack(() -> replace(target, new java.io.ByteArrayInputStream(previous)), expected,
                () -> "rolled back: " + name + " " + target.getVersion() + " serves again",
                "rollback of " + name + " to " + from);
        reject(jar, problem);
    }

    /**
     * Which bundles an update stopped and which it refreshed (unresolved and resolved again), as the framework
     * reports them: the cost of the update beyond the bundle itself, for the operator and the tests.
     */
    private static final class Restarts implements SynchronousBundleListener, AutoCloseable {

        private final BundleContext context;
        private final Set<String> stopped = new java.util.LinkedHashSet<>();
        private final Set<String> refreshed = new java.util.LinkedHashSet<>();

        Restarts(final BundleContext context) {
            this.context = context;
            context.addBundleListener(this);
        }

        @Override
        public void bundleChanged(final BundleEvent event) {
            final String name = event.getBundle().getSymbolicName();
            synchronized (this) {
                if (event.getType() == BundleEvent.STOPPED) {
                    stopped.add(name);
                } else if (event.getType() == BundleEvent.UNRESOLVED) {
                    refreshed.add(name);
                }
            }
        }

        @Override
        public void close() {
            context.removeBundleListener(this);
        }

        @Override
        public synchronized String toString() {
            return "stopped " + stopped.size() + " bundle(s) " + stopped + ", refreshed " + refreshed.size()
                    + " bundle(s) " + refreshed;
        }
    }

    /** A bundle of the set that a package replaces: what it takes to install it again as it was. */
    private record Previous(String location, int startLevel, byte[] bytes) {
    }

    /**
     * Installs a deployment package through Deployment Admin, behind the same gate. Only a package wholly signed by a
     * trusted signer is installed. The first package takes over the bundles of the set it carries (they are
     * uninstalled, and Deployment Admin installs its own); when the gate does not open, the packages kept from before
     * are installed again, or, if there were none, the package is uninstalled and the bundles it took over come back.
     */
    void applyPackage(final Path dp) throws IOException, InterruptedException {
        if (signers == null) {
            reject(dp, "deployment packages are installed only when signed: start ota-proxy with --update-signers");
            return;
        }
        final String unsigned = signers.refusal(dp);
        if (unsigned != null) {
            reject(dp, "not accepted: " + unsigned);
            return;
        }
        final DeploymentPackages.Header header = DeploymentPackages.header(dp);
        if (header == null) {
            reject(dp, "not a deployment package (no DeploymentPackage-SymbolicName)");
            return;
        }
        if (!packages.available()) {
            reject(dp, "no Deployment Admin service in the framework");
            return;
        }
        final String label = header.name() + " " + header.version();
        final String from;
        try {
            from = packages.installedVersion(header.name());
        } catch (final Exception e) {
            reject(dp, "Deployment Admin cannot be asked for " + header.name() + ": " + e);
            return;
        }
        if (header.fixPack() && from == null) {
            reject(dp, "a fix-pack of " + header.name() + ", which is not installed");
            return;
        }
        final List<Path> before = packages.chain(header.name());
        if (from != null && before.isEmpty()) {
            reject(dp, header.name() + " " + from + " is installed, but no copy of it is kept in "
                    + DeploymentPackages.kept(deploy.getParent()) + " to roll back to");
            return;
        }
        final Set<String> expected = gate.services();
        final Map<String, Previous> takenOver = new java.util.LinkedHashMap<>();
        log("INFO", "installing deployment package " + label + " from " + dp.getFileName()
                + (from == null ? "" : " over " + header.name() + " " + from));
        boolean installed = false;
        String problem;
        try {
            for (final String name : header.carried()) {
                final Bundle bundle = installed(name);
                if (bundle != null && !bundle.getLocation().startsWith(DeploymentPackages.LOCATION)) {
                    takenOver.put(name, new Previous(bundle.getLocation(),
                            bundle.adapt(BundleStartLevel.class).getStartLevel(), currentBytes(bundle)));
                    bundle.uninstall();
                }
            }
            if (!takenOver.isEmpty()) {
                refresh(null);
            }
            packages.install(dp);
            installed = true;
            problem = startAll();
            if (problem == null) {
                problem = gate.await(expected, HEALTH_MILLIS);
            }
        } catch (final Exception e) {
            problem = (installed ? "" : "Deployment Admin refused it: ") + e.getMessage();
        }
        if (problem == null) {
            packages.keep(dp, header);
            for (final String name : takenOver.keySet()) {
                Files.deleteIfExists(current.resolve(name + ".jar")); // the package's copy is the current one now
            }
            Files.move(dp, applied.resolve(dp.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            log("INFO", "deployment package applied: " + label + (from == null ? "" : " (was " + from + ")"));
            return;
        }
        log("ERROR", "deployment package " + label + " failed (" + problem + "); rolling back to "
                + (before.isEmpty() ? "the bundles it replaced" : header.name() + " " + from));
        final boolean wasInstalled = installed;
        rollBack(() -> {
            if (wasInstalled && !before.isEmpty()) {
                for (final Path kept : before) {
                    packages.install(kept);
                }
            } else if (wasInstalled) {
                packages.uninstall(header.name());
            }
            for (final Previous previous : takenOver.values()) {
                final Bundle bundle = context.installBundle(previous.location(),
                        new java.io.ByteArrayInputStream(previous.bytes()));
                bundle.adapt(BundleStartLevel.class).setStartLevel(previous.startLevel());
            }
            refresh(null);
            return startAll();
        }, expected, () -> "rolled back: the bundle set before " + label + " serves again", "rollback from " + label);
        reject(dp, problem);
    }

    /** What undoes a failed update: null when done, else what went wrong. */
    @FunctionalInterface
    private interface Undo {
        String run() throws Exception;
    }

    /**
     * Undoes a failed update and waits for the same health gate, logging whether the set serves again.
     *
     * @param restored what to log when it does (asked only then: a bundle's version is read after the undo)
     * @param rollback names the rollback in the error logged when it does not
     */
    private void rollBack(final Undo undo, final Set<String> expected, final Supplier<String> restored,
            final String rollback) throws InterruptedException {
        String after;
        try {
            after = undo.run();
            if (after == null) {
                after = gate.await(expected, HEALTH_MILLIS);
            }
        } catch (final InterruptedException e) {
            throw e;
        } catch (final Exception e) {
            after = "the rollback failed: " + (e.getMessage() != null ? e.getMessage() : e.toString());
        }
        if (after == null) {
            log("INFO", restored.get());
        } else {
            log("ERROR", rollback + " is not healthy either: " + after);
        }
    }

    /** One line naming ota-proxy's bundles, their versions and which a package installed: at start, after a package. */
    private void logSet() {
        final List<String> set = new ArrayList<>();
        for (final Bundle bundle : context.getBundles()) {
            final String name = bundle.getSymbolicName();
            if (name != null && name.startsWith("io.otaproxy.")) {
                set.add(name + " " + bundle.getVersion() + (bundle.getLocation().startsWith(
                        DeploymentPackages.LOCATION) ? " (package)" : ""));
            }
        }
        log("INFO", "bundle set: " + String.join(", ", set));
    }

    /**
     * Updates the bundle, refreshes what wired to it, and starts whatever that left stopped.
     *
     * @return null, or the bundles that cannot start (e.g. their imports no longer resolve): no wait will help
     */
    private String replace(final Bundle target, final InputStream in) throws BundleException, InterruptedException {
        final BundleRevision before = target.adapt(BundleRevision.class);
        final BundleWiring wiring = before.getWiring();
        target.update(in);
        final String why = refreshNeeded(target, before, wiring);
        if (why == null) {
            log("INFO", "no refresh needed for " + target.getSymbolicName() + ": same capabilities, and its services"
                    + " usable both ways; bundles wired to it keep the replaced revision until the next refresh or"
                    + " restart");
            return startAll();
        }
        final List<Bundle> refreshed = new ArrayList<>(List.of(target));
        for (final Bundle pending : context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).adapt(FrameworkWiring.class)
                .getRemovalPendingBundles()) {
            if (!refreshed.contains(pending)) {
                refreshed.add(pending); // an update that skipped its refresh before: no mixed class spaces
            }
        }
        log("INFO", "refreshing " + target.getSymbolicName() + " and what is wired to it: " + why);
        refresh(refreshed);
        return startAll();
    }

    /**
     * Null when the bundles wired to the replaced revision can go on with it beside the new one: the new revision is
     * active and declares the same capabilities (exported packages at the same versions), no bundle has it as its
     * extender (an extender only serves the bundles wired to its own revision), and every service whose type lies in
     * a package the bundle exports is usable across, the new revision's by the bundles importing that package from the
     * old one, and the others' by the new revision. Else why a refresh is needed.
     */
    private String refreshNeeded(final Bundle target, final BundleRevision before, final BundleWiring wiring) {
        if (wiring == null || !wiring.isInUse()) {
            return null; // nothing was wired to the replaced revision
        }
        final BundleRevision after = target.adapt(BundleRevision.class);
        if (target.getState() != Bundle.ACTIVE && (after.getTypes() & BundleRevision.TYPE_FRAGMENT) == 0) {
            return "the new revision is not active";
        }
        if (!capabilities(before).equals(capabilities(after))) {
            return "its capabilities changed";
        }
        final Set<Bundle> extended = new java.util.LinkedHashSet<>();
        for (final BundleWire wire : wiring.getProvidedWires(EXTENDER_NAMESPACE)) {
            extended.add(wire.getRequirer().getBundle());
        }
        extended.remove(target);
        if (!extended.isEmpty()) {
            return extended.size() + " bundle(s) have it as their extender";
        }
        final Map<String, Set<Bundle>> importers = new HashMap<>();
        for (final BundleWire wire : wiring.getProvidedWires(PackageNamespace.PACKAGE_NAMESPACE)) {
            final Bundle importer = wire.getRequirer().getBundle();
            if (importer != target) {
                importers.computeIfAbsent((String) wire.getCapability().getAttributes()
                        .get(PackageNamespace.PACKAGE_NAMESPACE), k -> new java.util.HashSet<>()).add(importer);
            }
        }
        final Set<String> exported = new java.util.HashSet<>();
        for (final Capability c : after.getCapabilities(PackageNamespace.PACKAGE_NAMESPACE)) {
            exported.add((String) c.getAttributes().get(PackageNamespace.PACKAGE_NAMESPACE));
        }
        final ServiceReference<?>[] all;
        try {
            all = context.getAllServiceReferences(null, null);
        } catch (final InvalidSyntaxException e) {
            return e.getMessage(); // no filter given: cannot happen
        }
        for (final ServiceReference<?> reference : all == null ? new ServiceReference<?>[0] : all) {
            final Bundle owner = reference.getBundle();
            if (owner == null) {
                continue;
            }
            for (final String type : (String[]) reference.getProperty(Constants.OBJECTCLASS)) {
                final int dot = type.lastIndexOf('.');
                final String pkg = dot < 0 ? "" : type.substring(0, dot);
                if (!exported.contains(pkg)) {
                    continue;
                }
                if (owner == target) {
                    for (final Bundle importer : importers.getOrDefault(pkg, Set.of())) {
                        if (!reference.isAssignableTo(importer, type)) {
                            return importer.getSymbolicName() + " cannot use its new " + type;
                        }
                    }
                } else if (!reference.isAssignableTo(target, type)) {
                    return "its new revision cannot use the " + type + " of " + owner.getSymbolicName();
                }
            }
        }
        return null;
    }

    /** What a revision offers, without what names the revision itself (its identity, its bundle version). */
    private static Set<String> capabilities(final BundleRevision revision) {
        final Set<String> offered = new java.util.TreeSet<>();
        for (final Capability c : revision.getCapabilities(null)) {
            final String namespace = c.getNamespace();
            if (namespace.equals(IdentityNamespace.IDENTITY_NAMESPACE)
                    || namespace.equals(BundleNamespace.BUNDLE_NAMESPACE)
                    || namespace.equals(HostNamespace.HOST_NAMESPACE)) {
                continue;
            }
            final Map<String, Object> attributes = new java.util.TreeMap<>(c.getAttributes());
            attributes.remove(PackageNamespace.CAPABILITY_BUNDLE_SYMBOLICNAME_ATTRIBUTE);
            attributes.remove(PackageNamespace.CAPABILITY_BUNDLE_VERSION_ATTRIBUTE);
            offered.add(namespace + " " + attributes + " " + new java.util.TreeMap<>(c.getDirectives()));
        }
        return offered;
    }

    /** Refreshes the bundles (null: every bundle that needs it) and what wired to them, and waits for the end. */
    private void refresh(final List<Bundle> bundles) throws BundleException, InterruptedException {
        final CountDownLatch refreshed = new CountDownLatch(1);
        context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).adapt(FrameworkWiring.class)
                .refreshBundles(bundles, event -> refreshed.countDown());
        if (!refreshed.await(REFRESH_MILLIS, TimeUnit.MILLISECONDS)) {
            throw new BundleException("the refresh of the updated bundles did not end");
        }
    }

    /** Starts every bundle left stopped: null, or those that cannot start (no wait will help them). */
    private String startAll() {
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
