package io.otaproxy.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * Deployment packages (OSGi Compendium 114) through the framework's Deployment Admin service, and the packages that
 * made the installed state, kept in {@code <data-dir>/packages/<name>/}: the last whole package and the fix-packs
 * applied on top of it, in order, so that installing them again restores that state. The launcher has none of the
 * Deployment Admin API's classes: the service is called through the interfaces of the bundle that registered it.
 */
final class DeploymentPackages {

    /** Where Deployment Admin installs a package's bundles: this prefix and the bundle's symbolic name. */
    static final String LOCATION = "osgi-dp:";
    private static final String ADMIN = "org.osgi.service.deploymentadmin.DeploymentAdmin";
    private static final String PACKAGE = "org.osgi.service.deploymentadmin.DeploymentPackage";

    private final BundleContext context;
    private final Path kept;

    DeploymentPackages(final BundleContext context, final Path dataDir) {
        this.context = context;
        this.kept = kept(dataDir);
    }

    /** The directory the installed packages are kept in. */
    static Path kept(final Path dataDir) {
        return dataDir.resolve("packages");
    }

    /** What the launcher reads of a package's manifest: its name, version, and the bundles it carries. */
    record Header(String name, String version, boolean fixPack, List<String> carried) {
    }

    /** The package's manifest, or null when the file is no deployment package. */
    static Header header(final Path file) {
        try (JarInputStream in = new JarInputStream(Files.newInputStream(file), false)) {
            final Manifest manifest = in.getManifest();
            final Attributes main = manifest == null ? null : manifest.getMainAttributes();
            if (main == null || main.getValue("DeploymentPackage-SymbolicName") == null) {
                return null;
            }
            final List<String> carried = new ArrayList<>();
            for (final Map.Entry<String, Attributes> section : manifest.getEntries().entrySet()) {
                final String bsn = section.getValue().getValue("Bundle-SymbolicName");
                if (bsn != null && !"true".equalsIgnoreCase(section.getValue().getValue("DeploymentPackage-Missing"))) {
                    carried.add(bsn.split(";", 2)[0].trim());
                }
            }
            return new Header(main.getValue("DeploymentPackage-SymbolicName").trim(),
                    String.valueOf(main.getValue("DeploymentPackage-Version")).trim(),
                    main.getValue("DeploymentPackage-FixPack") != null, carried);
        } catch (final IOException e) {
            return null;
        }
    }

    /** Whether a Deployment Admin service is registered. */
    boolean available() {
        return context.getServiceReference(ADMIN) != null;
    }

    /**
     * Installs the package through Deployment Admin; its refusal (it has rolled itself back) is thrown. The signature
     * is checked before (by {@link UpdateSigners}); Deployment Admin gets the package without its signature files, as
     * Felix Deployment Admin 0.9.6 takes every entry after the manifest for a resource the manifest must name, and
     * refuses a signed package ("Expected more bundles in the stream").
     */
    void install(final Path file) throws Exception {
        final Path verified = Files.createTempFile(kept.getParent(), "package-", ".dp");
        try {
            withoutSignature(file, verified);
            try (InputStream in = Files.newInputStream(verified)) {
                call("installDeploymentPackage", InputStream.class, in);
            }
        } finally {
            Files.deleteIfExists(verified);
        }
    }

    /** A copy of the package in the same entry order, without the jarsigner files of META-INF. */
    static void withoutSignature(final Path signed, final Path copy) throws IOException {
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(signed));
                ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(copy))) {
            ZipEntry entry;
            while ((entry = in.getNextEntry()) != null) {
                if (!isSignatureFile(entry.getName())) {
                    out.putNextEntry(new ZipEntry(entry.getName()));
                    in.transferTo(out);
                    out.closeEntry();
                }
            }
        }
    }

    static boolean isSignatureFile(final String name) {
        final String upper = name.toUpperCase(Locale.ROOT);
        if (!upper.startsWith("META-INF/") || upper.indexOf('/', "META-INF/".length()) >= 0) {
            return false;
        }
        return upper.endsWith(".SF") || upper.endsWith(".RSA") || upper.endsWith(".DSA") || upper.endsWith(".EC")
                || upper.startsWith("META-INF/SIG-");
    }

    /** The installed version of the package {@code name}, or null when none is installed. */
    String installedVersion(final String name) throws Exception {
        final Object dp = installed(name);
        return dp == null ? null : String.valueOf(invoke(type(PACKAGE), dp, "getVersion"));
    }

    /** Uninstalls the package {@code name} and its bundles, whatever fails on the way. */
    void uninstall(final String name) throws Exception {
        final Object dp = installed(name);
        if (dp != null) {
            invoke(type(PACKAGE), dp, "uninstallForced");
        }
    }

    private Object installed(final String name) throws Exception {
        return call("getDeploymentPackage", String.class, name);
    }

    private Object call(final String method, final Class<?> parameter, final Object argument) throws Exception {
        final ServiceReference<?> reference = context.getServiceReference(ADMIN);
        final Object admin = reference == null ? null : context.getService(reference);
        if (admin == null) {
            throw new IllegalStateException("no Deployment Admin service in the framework");
        }
        try {
            final Method m = reference.getBundle().loadClass(ADMIN).getMethod(method, parameter);
            return unwrap(() -> m.invoke(admin, argument));
        } finally {
            context.ungetService(reference);
        }
    }

    private Object invoke(final Class<?> type, final Object target, final String method) throws Exception {
        final Method m = type.getMethod(method);
        return unwrap(() -> m.invoke(target));
    }

    private Class<?> type(final String name) throws ClassNotFoundException {
        final ServiceReference<?> reference = context.getServiceReference(ADMIN);
        if (reference == null) {
            throw new IllegalStateException("no Deployment Admin service in the framework");
        }
        return reference.getBundle().loadClass(name);
    }

    private interface Call {
        Object run() throws ReflectiveOperationException;
    }

    /** The exception Deployment Admin threw, not the reflection's wrapper. */
    private static Object unwrap(final Call call) throws Exception {
        try {
            return call.run();
        } catch (final InvocationTargetException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    /** The kept packages that made the installed state of {@code name}, in the order they were installed. */
    List<Path> chain(final String name) throws IOException {
        final Path dir = kept.resolve(name);
        final List<Path> files = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> dps = Files.newDirectoryStream(dir, "*.dp")) {
                dps.forEach(files::add);
            }
        }
        files.sort(Comparator.comparing(p -> p.getFileName().toString()));
        return files;
    }

    /** Keeps an installed package: a whole one starts the chain again, a fix-pack is added to it. */
    void keep(final Path file, final Header header) throws IOException {
        final Path dir = kept.resolve(header.name());
        if (!header.fixPack()) {
            deleteTree(dir);
        }
        Files.createDirectories(dir);
        final int next = chain(header.name()).size() + 1;
        Files.copy(file, dir.resolve(String.format("%03d-%s.dp", next, header.version())),
                StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Deletes a directory tree, deepest first; what cannot be deleted stays, and the first such failure is thrown once
     * everything else is gone.
     */
    static void deleteTree(final Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        IOException first = null;
        try (Stream<Path> walk = Files.walk(root)) {
            for (final Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                try {
                    Files.delete(p);
                } catch (final IOException e) {
                    first = first == null ? e : first;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
