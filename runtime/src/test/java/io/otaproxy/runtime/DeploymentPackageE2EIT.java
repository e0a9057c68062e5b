package io.otaproxy.runtime;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import io.otaproxy.deployment.DeploymentPackageWriter;
import io.otaproxy.testing.RawHttpClient;
import io.otaproxy.testing.TestData;
import io.otaproxy.testing.TestOrigin;

import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The build's signed deployment package installed into the runnable jar's framework by Apache Felix Deployment Admin,
 * through the deploy directory of {@code --data-dir} with {@code --update-signers}: the package takes over the
 * embedded bundles and the proxy serves; a fix-pack replaces only the bundle it carries; unsigned, foreign-signed and
 * tampered packages are refused before Deployment Admin sees them and leave the bundle set as it was; a package whose
 * bundles cannot start is rolled back to the packages installed before; a restart keeps the installed package.
 */
public class DeploymentPackageE2EIT {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final List<ProxyProcess> processes = new ArrayList<>();
    private TestOrigin origin;

    @After
    public void stopAll() throws InterruptedException {
        for (final ProxyProcess p : processes) {
            p.close();
        }
        if (origin != null) {
            origin.close();
        }
    }

    @Test
    public void signedPackagesAreInstalledByDeploymentAdminAndOthersRefused() throws Exception {
        final Path keys = tmp.newFolder("keys").toPath();
        BundleUpdateE2EIT.keytool(keys, "-genkeypair", "-alias", "vendor", "-keyalg", "EC", "-dname", "CN=vendor",
                "-keystore", "vendor.p12");
        BundleUpdateE2EIT.keytool(keys, "-genkeypair", "-alias", "other", "-keyalg", "EC", "-dname", "CN=other",
                "-keystore", "other.p12");
        BundleUpdateE2EIT.keytool(keys, "-exportcert", "-rfc", "-alias", "vendor", "-keystore", "vendor.p12", "-file",
                "vendor.pem");
        // trusted: the build's signer (the package) and the vendor key of this test (the fix-packs)
        final Path trusted = keys.resolve("trusted.pem");
        Files.writeString(trusted, Files.readString(Path.of(System.getProperty("otaproxy.dp.signer")))
                + Files.readString(keys.resolve("vendor.pem")));

        final Path signed = Path.of(System.getProperty("otaproxy.dp"));
        final Map<String, String> header = mainAttributes(signed);
        assertEquals("io.otaproxy", header.get("DeploymentPackage-SymbolicName"));
        assertTrue(header.toString(), header.get("DeploymentPackage-Version").matches("\\d+\\.\\d+\\.\\d+"));
        final String base = header.get("DeploymentPackage-Version");
        assertEquals("the bundles follow the manifest and the signature files", List.of("META-INF/MANIFEST.MF"),
                entryNames(signed).subList(0, 1));

        // the package's bundles, and packages made of them: unsigned, tampered, signed by someone else
        final Path bundles = tmp.newFolder("bundles").toPath();
        extractBundles(signed, bundles);
        final Path unsigned = keys.resolve("unsigned.dp");
        writePackage(bundles, base, null, unsigned);
        final Path tampered = keys.resolve("tampered.dp");
        BundleJars.tamper(signed, tampered, name -> name.startsWith("bundles/"));
        final Path foreign = keys.resolve("foreign.dp");
        BundleUpdateE2EIT.jarsigner(keys, "other.p12", "other", unsigned, foreign);

        // a fix-pack: a new release in which only the proxy bundle changed (the others differ only in version)
        final String fix = next(base, 1);
        final Path release = tmp.newFolder("release").toPath();
        for (final Path bundle : list(bundles)) {
            final boolean proxy = bundle.getFileName().toString().equals("io.otaproxy.proxy.jar");
            try (InputStream in = Files.newInputStream(bundle)) {
                Files.write(release.resolve(bundle.getFileName()),
                        BundleJars.withVersion(in, fix, null, proxy ? "fixed in " + fix + "\n" : null));
            }
        }
        final Path fixPack = keys.resolve("fixpack.dp");
        writePackage(release, fix, signed, fixPack);
        final Map<String, String> fixHeader = mainAttributes(fixPack);
        assertEquals("[" + base + "," + base + "]", fixHeader.get("DeploymentPackage-FixPack"));
        final List<String> carried = entryNames(fixPack);
        assertEquals("only the changed bundle is carried: " + carried, 2, carried.size());
        assertEquals("bundles/io.otaproxy.proxy.jar", carried.get(1));
        assertEquals("the 7 others are listed as missing", 7, missingCount(fixPack));
        final Path signedFix = keys.resolve("signed-fixpack.dp");
        BundleUpdateE2EIT.jarsigner(keys, "vendor.p12", "vendor", fixPack, signedFix);
        final Path tamperedFix = keys.resolve("tampered-fixpack.dp");
        BundleJars.tamper(signedFix, tamperedFix, name -> name.startsWith("bundles/"));

        // a whole package whose API bundle its other bundles cannot use: installed, then rolled back
        final Path broken = tmp.newFolder("broken").toPath();
        for (final Path bundle : list(bundles)) {
            final boolean api = bundle.getFileName().toString().equals("io.otaproxy.api.jar");
            try (InputStream in = Files.newInputStream(bundle)) {
                Files.write(broken.resolve(bundle.getFileName()),
                        api ? BundleJars.withVersion(in, "9.0.0", "9.0.0", null) : in.readAllBytes());
            }
        }
        final Path brokenPackage = keys.resolve("broken.dp");
        writePackage(broken, next(base, 100), null, brokenPackage);
        final Path signedBroken = keys.resolve("signed-broken.dp");
        BundleUpdateE2EIT.jarsigner(keys, "vendor.p12", "vendor", brokenPackage, signedBroken);

        origin = TestOrigin.start();
        final byte[] body = TestData.generate(200_000, 77);
        origin.put("/firmware.bin", body);
        final Path data = tmp.newFolder("data").toPath();
        final Path cache = tmp.newFolder("cache").toPath();
        final int port = ProxyProcess.freePort();
        final ProxyProcess proxy = start(data, cache, port, trusted);
        final Path deploy = data.resolve("deploy");
        BundleUpdateE2EIT.await("the deploy directory is watched", () -> Files.isDirectory(deploy));
        assertArrayEquals(body, RawHttpClient.get(port, origin.url("/firmware.bin")).body);
        final String embedded = lastSet(proxy);
        assertFalse(embedded, embedded.contains("(package)"));

        refused(proxy, deploy, unsigned, "is not signed", embedded);
        refused(proxy, deploy, foreign, "is not signed by a trusted signer", embedded);
        refused(proxy, deploy, tampered, "does not match its content", embedded);
        final Path early = keys.resolve("early-fixpack.dp");
        Files.copy(signedFix, early);
        refused(proxy, deploy, early, "a fix-pack of io.otaproxy, which is not installed", embedded);
        assertFalse("Deployment Admin never saw them", proxy.logged("installing deployment package"));
        assertArrayEquals(body, RawHttpClient.get(port, origin.url("/firmware.bin")).body);

        applied(proxy, deploy, signed, "deployment package applied: io.otaproxy " + base);
        final String whole = lastSet(proxy);
        assertEquals(whole, 8, count(whole, "(package)"));
        assertServes(port, body);

        refused(proxy, deploy, fixPack, "is not signed", whole);
        refused(proxy, deploy, tamperedFix, "does not match its content", whole);

        applied(proxy, deploy, signedFix, "deployment package applied: io.otaproxy " + fix + " (was " + base + ")");
        final String fixed = lastSet(proxy);
        assertTrue(fixed, fixed.contains("io.otaproxy.proxy " + fix + " (package)"));
        assertTrue(fixed, fixed.contains("io.otaproxy.api " + version(whole, "io.otaproxy.api") + " (package)"));
        assertServes(port, body);

        final String name = signedBroken.getFileName().toString();
        BundleUpdateE2EIT.write(Files.readAllBytes(signedBroken), deploy.resolve(name));
        BundleUpdateE2EIT.await(name + " refused", () -> proxy.logged("bundle update " + name + " refused"));
        assertTrue(proxy.output().toString(), proxy.logged("rolled back: the bundle set before io.otaproxy"));
        final String reason = Files.readString(deploy.resolve("failed/" + name + ".reason"));
        assertTrue(reason, reason.contains("io.otaproxy.proxy"));
        assertEquals("the fix-pack's set is back", fixed, lastSet(proxy));
        assertServes(port, body);

        final int code = proxy.terminate();
        assertTrue("exit code " + code + " after SIGTERM", code == 0 || code == 143);
        final ProxyProcess again = start(data, cache, port, trusted);
        assertEquals("the package is still installed after a restart", fixed, lastSet(again));
        assertTrue(again.output().toString(), again.logged("running updated bundles: ") && again.logged("io.otaproxy.proxy " + fix + " (package)"));
        assertServes(port, body);
    }

    private ProxyProcess start(final Path data, final Path cache, final int port, final Path trusted)
            throws Exception {
        final ProxyProcess p = ProxyProcess.start(tmp.getRoot().toPath(), List.of("-Xmx128m"), "--host",
                "127.0.0.1", "--port", Integer.toString(port), "--cache-dir", cache.toString(), "--data-dir",
                data.toString(), "--admin-port", Integer.toString(ProxyProcess.freePort()), "--update-signers",
                trusted.toString());
        processes.add(p);
        BundleUpdateE2EIT.await("the bundle set is logged", () -> p.logged("INFO bundle set: "));
        return p;
    }

    /** A cached file and a new one, through the proxy. */
    private void assertServes(final int port, final byte[] cached) throws IOException {
        assertArrayEquals(cached, RawHttpClient.get(port, origin.url("/firmware.bin")).body);
        final byte[] fresh = TestData.generate(50_000, System.nanoTime());
        final String path = "/fresh-" + System.nanoTime();
        origin.put(path, fresh);
        assertArrayEquals(fresh, RawHttpClient.get(port, origin.url(path)).body);
    }

    private static void refused(final ProxyProcess proxy, final Path deploy, final Path dp, final String why,
            final String setBefore) throws Exception {
        final String name = dp.getFileName().toString();
        final int sets = count(proxy.output().toString(), "INFO bundle set: ");
        BundleUpdateE2EIT.write(Files.readAllBytes(dp), deploy.resolve(name));
        BundleUpdateE2EIT.await(name + " refused", () -> proxy.logged("bundle update " + name + " refused"));
        BundleUpdateE2EIT.await("the set logged after " + name,
                () -> count(proxy.output().toString(), "INFO bundle set: ") > sets);
        final String reason = Files.readString(deploy.resolve("failed/" + name + ".reason"));
        assertTrue(name + ": " + reason, reason.contains(why));
        assertEquals("the set is as it was after " + name, setBefore, lastSet(proxy));
    }

    private static void applied(final ProxyProcess proxy, final Path deploy, final Path dp, final String line)
            throws Exception {
        final String name = dp.getFileName().toString();
        final int sets = count(proxy.output().toString(), "INFO bundle set: ");
        BundleUpdateE2EIT.write(Files.readAllBytes(dp), deploy.resolve(name));
        BundleUpdateE2EIT.await(line, () -> proxy.logged(line)
                || proxy.logged("bundle update " + name + " refused"));
        assertTrue(proxy.output().toString(), proxy.logged(line));
        BundleUpdateE2EIT.await("the set logged after " + name,
                () -> count(proxy.output().toString(), "INFO bundle set: ") > sets);
        assertTrue(Files.isRegularFile(deploy.resolve("applied/" + name)));
    }

    /** The last "bundle set" line the process logged, from the set on. */
    private static String lastSet(final ProxyProcess proxy) {
        String last = null;
        for (final String line : proxy.output()) {
            final int at = line.indexOf("INFO bundle set: ");
            if (at >= 0) {
                last = line.substring(at);
            }
        }
        assertTrue("no bundle set logged", last != null);
        return last;
    }

    private static String version(final String set, final String bundle) {
        for (final String entry : set.substring(set.indexOf(':') + 1).split(",")) {
            final String[] words = entry.trim().split(" ");
            if (words[0].equals(bundle)) {
                return words[1];
            }
        }
        throw new AssertionError(bundle + " not in " + set);
    }

    private static int count(final String text, final String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    /** {@code 1.2.3} plus {@code n} micro versions. */
    private static String next(final String version, final int n) {
        final String[] parts = version.split("\\.");
        return parts[0] + "." + parts[1] + "." + (Integer.parseInt(parts[2]) + n);
    }

    private static void writePackage(final Path bundles, final String version, final Path base, final Path out)
            throws IOException {
        final List<String> args = new ArrayList<>(List.of("--name", "io.otaproxy", "--version", version, "--bundles",
                bundles.toString(), "--prefix", "io.otaproxy.", "--out", out.toString()));
        if (base != null) {
            args.addAll(List.of("--base", base.toString()));
        }
        DeploymentPackageWriter.main(args.toArray(String[]::new));
    }

    private static Map<String, String> mainAttributes(final Path dp) throws IOException {
        try (JarFile jar = new JarFile(dp.toFile(), false)) {
            final Map<String, String> values = new java.util.TreeMap<>();
            jar.getManifest().getMainAttributes().forEach((k, v) -> values.put(k.toString(), v.toString()));
            return values;
        }
    }

    private static int missingCount(final Path dp) throws IOException {
        try (JarFile jar = new JarFile(dp.toFile(), false)) {
            int missing = 0;
            for (final Attributes section : jar.getManifest().getEntries().values()) {
                if ("true".equals(section.getValue("DeploymentPackage-Missing"))) {
                    missing++;
                }
            }
            return missing;
        }
    }

    /** The names of the entries in archive order, signature files left out. */
    private static List<String> entryNames(final Path dp) throws IOException {
        final List<String> names = new ArrayList<>();
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(dp))) {
            ZipEntry e;
            while ((e = in.getNextEntry()) != null) {
                final String n = e.getName();
                if (!n.startsWith("META-INF/") || n.equals("META-INF/MANIFEST.MF")) {
                    names.add(n);
                }
            }
        }
        return names;
    }

    private static List<Path> list(final Path dir) throws IOException {
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }

    private static void extractBundles(final Path dp, final Path dir) throws IOException {
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(dp))) {
            ZipEntry e;
            while ((e = in.getNextEntry()) != null) {
                if (e.getName().startsWith("bundles/")) {
                    Files.copy(in, dir.resolve(e.getName().substring("bundles/".length())));
                }
            }
        }
    }


}
