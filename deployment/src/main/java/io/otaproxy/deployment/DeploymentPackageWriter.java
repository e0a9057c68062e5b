package io.otaproxy.deployment;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Pattern;

/**
 * Writes an OSGi Deployment Package (Compendium 114): a jar whose manifest names the package and, in one section per
 * bundle, each bundle's symbolic name and version, with the bundles following the manifest in the order listed. A
 * fix-pack is written against a base package: a bundle whose content is the base's (apart from its
 * {@code Bundle-Version} and bnd's build time) is listed with {@code DeploymentPackage-Missing: true} at the base's
 * version and not carried; the fix-pack applies to exactly the base's version. Signing is a separate step (jarsigner),
 * which keeps this order: the manifest, the signature files, then the bundles.
 *
 * <pre>
 * DeploymentPackageWriter --name NAME --version VERSION --bundles DIR --prefix PREFIX --out FILE [--base BASE.dp]
 * </pre>
 *
 * {@code --version} is the release's version; a Maven {@code -SNAPSHOT} suffix is dropped, and anything else that is
 * not {@code major.minor.micro} is refused. {@code --prefix} selects the bundles of {@code DIR} by symbolic name.
 */
public final class DeploymentPackageWriter {

    static final String NAME = "DeploymentPackage-SymbolicName";
    static final String VERSION = "DeploymentPackage-Version";
    static final String FIX_PACK = "DeploymentPackage-FixPack";
    static final String MISSING = "DeploymentPackage-Missing";
    static final String BSN = "Bundle-SymbolicName";
    static final String BUNDLE_VERSION = "Bundle-Version";
    /** Headers that change with every build of the same sources. */
    private static final Set<String> BUILD_HEADERS = Set.of(BUNDLE_VERSION, "Bnd-LastModified");
    private static final Pattern RELEASE = Pattern.compile("\\d+\\.\\d+\\.\\d+");

    private DeploymentPackageWriter() {
    }

    public static void main(final String[] args) throws IOException {
        final Map<String, String> options = new TreeMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected an option, got " + args[i]);
            }
            options.put(args[i].substring(2), args[i + 1]);
        }
        final String name = required(options, "name");
        final String version = releaseVersion(required(options, "version"));
        final List<Bundle> bundles = bundles(Path.of(required(options, "bundles")), options.getOrDefault("prefix", ""));
        final Path out = Path.of(required(options, "out"));
        final String base = options.get("base");
        if (base == null || base.isBlank()) {
            write(name, version, bundles, out);
        } else {
            writeFixPack(name, version, bundles, Path.of(base), out);
        }
        System.out.println("[dp] wrote " + out + " (" + name + " " + version + ")");
    }

    private static String required(final Map<String, String> options, final String key) {
        final String value = options.get(key);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("--" + key + " is required");
        }
        return value;
    }

    /** {@code 1.2.3} from {@code 1.2.3} or {@code 1.2.3-SNAPSHOT}; anything else is refused. */
    static String releaseVersion(final String version) {
        final String release = version.endsWith("-SNAPSHOT")
                ? version.substring(0, version.length() - "-SNAPSHOT".length()) : version;
        if (!RELEASE.matcher(release).matches()) {
            throw new IllegalArgumentException("not a release version (major.minor.micro): " + version);
        }
        return release;
    }

    /**
     * A bundle: its file, its entry in a package, symbolic name, version and content digest. A bundle's entry is
     * {@code bundles/<symbolic name>.jar}, the same in every release, as Deployment Admin finds the bundles a fix-pack
     * lists as missing by their entry name in the installed package.
     */
    record Bundle(Path file, String path, String symbolicName, String version, String content) {
    }

    /** The bundles of {@code dir} whose symbolic name starts with {@code prefix}, in file name order. */
    static List<Bundle> bundles(final Path dir, final String prefix) throws IOException {
        final List<Path> jars = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.jar")) {
            files.forEach(jars::add);
        }
        jars.sort(null);
        final List<Bundle> bundles = new ArrayList<>();
        for (final Path jar : jars) {
            try (InputStream in = Files.newInputStream(jar)) {
                final Bundle bundle = read(jar, null, in);
                if (bundle != null && bundle.symbolicName().startsWith(prefix)) {
                    bundles.add(bundle);
                }
            }
        }
        if (bundles.isEmpty()) {
            throw new IOException("no bundle named " + prefix + "* in " + dir);
        }
        return bundles;
    }

    /**
     * Reads a bundle: null when it has no symbolic name. Its content digest covers every entry and the manifest's
     * main attributes except those a rebuild of the same sources changes, so equal digests mean the same bundle.
     */
    static Bundle read(final Path file, final String path, final InputStream bytes) throws IOException {
        try (JarInputStream in = new JarInputStream(bytes, false)) {
            final Manifest manifest = in.getManifest();
            final String bsn = manifest == null ? null : manifest.getMainAttributes().getValue(BSN);
            if (bsn == null) {
                return null;
            }
            final Map<String, String> content = new TreeMap<>();
            final Map<String, String> headers = new TreeMap<>();
            manifest.getMainAttributes().forEach((key, value) -> {
                if (!BUILD_HEADERS.contains(key.toString())) {
                    headers.put(key.toString(), value.toString());
                }
            });
            content.put("META-INF/MANIFEST.MF", headers.toString());
            JarEntry entry;
            while ((entry = in.getNextJarEntry()) != null) {
                if (!entry.isDirectory()) {
                    content.put(entry.getName(), HexFormat.of().formatHex(sha256().digest(in.readAllBytes())));
                }
            }
            final MessageDigest all = sha256();
            content.forEach((name, digest) -> all.update((name + '=' + digest + '\n').getBytes(
                    java.nio.charset.StandardCharsets.UTF_8)));
            final String version = manifest.getMainAttributes().getValue(BUNDLE_VERSION);
            final String symbolicName = bsn.split(";", 2)[0].trim();
            return new Bundle(file, path != null ? path : "bundles/" + symbolicName + ".jar", symbolicName,
                    version == null ? "0.0.0" : version.trim(), HexFormat.of().formatHex(all.digest()));
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes the package of all {@code bundles}. */
    static void write(final String name, final String version, final List<Bundle> bundles, final Path out)
            throws IOException {
        final Manifest manifest = manifest(name, version);
        for (final Bundle bundle : bundles) {
            manifest.getEntries().put(bundle.path(), section(bundle.symbolicName(), bundle.version()));
        }
        writeJar(manifest, bundles, out);
    }

    /** Writes a fix-pack of {@code bundles} against the package {@code base}: only changed bundles are carried. */
    static void writeFixPack(final String name, final String version, final List<Bundle> bundles, final Path base,
            final Path out) throws IOException {
        final Map<String, Bundle> before = new LinkedHashMap<>();
        final String baseVersion;
        try (JarInputStream in = new JarInputStream(Files.newInputStream(base), false)) {
            final Attributes main = in.getManifest() == null ? null : in.getManifest().getMainAttributes();
            if (main == null || !name.equals(main.getValue(NAME))) {
                throw new IOException(base + " is not a deployment package named " + name);
            }
            if (main.getValue(FIX_PACK) != null) {
                throw new IOException(base + " is a fix-pack; a fix-pack is made against a whole package");
            }
            baseVersion = main.getValue(VERSION);
            JarEntry entry;
            while ((entry = in.getNextJarEntry()) != null) {
                if (!entry.isDirectory() && !entry.getName().startsWith("META-INF/")) {
                    final Bundle bundle = read(null, entry.getName(),
                            new java.io.ByteArrayInputStream(in.readAllBytes()));
                    if (bundle != null) {
                        before.put(bundle.symbolicName(), bundle);
                    }
                }
            }
        }
        if (version.equals(baseVersion)) {
            throw new IOException("the fix-pack's version " + version + " is the base's");
        }
        final Manifest manifest = manifest(name, version);
        manifest.getMainAttributes().putValue(FIX_PACK, "[" + baseVersion + "," + baseVersion + "]");
        final List<Bundle> carried = new ArrayList<>();
        for (final Bundle bundle : bundles) {
            final Bundle old = before.get(bundle.symbolicName());
            if (old != null && old.content().equals(bundle.content())) {
                final Attributes missing = section(old.symbolicName(), old.version());
                missing.putValue(MISSING, "true");
                manifest.getEntries().put(old.path(), missing);
            } else {
                manifest.getEntries().put(bundle.path(), section(bundle.symbolicName(), bundle.version()));
                carried.add(bundle);
            }
        }
        if (carried.isEmpty()) {
            throw new IOException("no bundle differs from " + base + ": there is nothing to fix");
        }
        writeJar(manifest, carried, out);
    }

    private static Manifest manifest(final String name, final String version) {
        final Manifest manifest = new Manifest();
        final Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue(NAME, name);
        main.putValue(VERSION, version);
        return manifest;
    }

    private static Attributes section(final String symbolicName, final String version) {
        final Attributes section = new Attributes();
        section.putValue(BSN, symbolicName);
        section.putValue(BUNDLE_VERSION, version);
        return section;
    }

    /** The manifest first, then the bundles in the manifest's order. */
    private static void writeJar(final Manifest manifest, final List<Bundle> bundles, final Path out)
            throws IOException {
        Files.createDirectories(out.toAbsolutePath().getParent());
        final Path part = out.resolveSibling(out.getFileName() + ".part");
        try (OutputStream file = Files.newOutputStream(part); JarOutputStream jar = new JarOutputStream(file)) {
            jar.putNextEntry(new JarEntry(java.util.jar.JarFile.MANIFEST_NAME));
            manifest.write(jar);
            jar.closeEntry();
            for (final Bundle bundle : bundles) {
                jar.putNextEntry(new JarEntry(bundle.path()));
                Files.copy(bundle.file(), jar);
                jar.closeEntry();
            }
        }
        Files.move(part, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
