package io.otaproxy.deployment;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class DeploymentPackageWriterTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void aPackageListsEachBundleAndCarriesThemAfterTheManifest() throws Exception {
        final Path dir = tmp.newFolder("set").toPath();
        bundle(dir, "b.jar", "io.otaproxy.b", "0.1.0.202601010000", "b");
        bundle(dir, "a.jar", "io.otaproxy.a", "0.1.0.202601010000", "a");
        bundle(dir, "other.jar", "org.example.other", "1.0.0", "o");
        final Path dp = tmp.getRoot().toPath().resolve("set.dp");
        run("--name", "io.otaproxy", "--version", "0.1.0-SNAPSHOT", "--bundles", dir.toString(), "--prefix",
                "io.otaproxy.", "--out", dp.toString());

        assertEquals(List.of("META-INF/MANIFEST.MF", "bundles/io.otaproxy.a.jar", "bundles/io.otaproxy.b.jar"),
                entries(dp));
        try (JarFile jar = new JarFile(dp.toFile())) {
            final Manifest m = jar.getManifest();
            assertEquals("io.otaproxy", m.getMainAttributes().getValue("DeploymentPackage-SymbolicName"));
            assertEquals("0.1.0", m.getMainAttributes().getValue("DeploymentPackage-Version"));
            assertNull(m.getMainAttributes().getValue("DeploymentPackage-FixPack"));
            final Attributes a = m.getAttributes("bundles/io.otaproxy.a.jar");
            assertEquals("io.otaproxy.a", a.getValue("Bundle-SymbolicName"));
            assertEquals("0.1.0.202601010000", a.getValue("Bundle-Version"));
            assertEquals(2, m.getEntries().size());
        }
    }

    @Test
    public void aFixPackCarriesOnlyTheBundlesWhoseContentChanged() throws Exception {
        final Path v1 = tmp.newFolder("v1").toPath();
        bundle(v1, "a.jar", "io.otaproxy.a", "0.1.0.1", "a");
        bundle(v1, "b.jar", "io.otaproxy.b", "0.1.0.1", "b");
        final Path base = tmp.getRoot().toPath().resolve("base.dp");
        run("--name", "io.otaproxy", "--version", "0.1.0", "--bundles", v1.toString(), "--out", base.toString());
        final Path v2 = tmp.newFolder("v2").toPath();
        bundle(v2, "a-2.jar", "io.otaproxy.a", "0.2.0.2", "a"); // rebuilt, same content
        bundle(v2, "b-2.jar", "io.otaproxy.b", "0.2.0.2", "b fixed");
        final Path fix = tmp.getRoot().toPath().resolve("fix.dp");
        run("--name", "io.otaproxy", "--version", "0.2.0", "--bundles", v2.toString(), "--base", base.toString(),
                "--out", fix.toString());

        assertEquals(List.of("META-INF/MANIFEST.MF", "bundles/io.otaproxy.b.jar"), entries(fix));
        try (JarFile jar = new JarFile(fix.toFile())) {
            final Manifest m = jar.getManifest();
            assertEquals("0.2.0", m.getMainAttributes().getValue("DeploymentPackage-Version"));
            assertEquals("[0.1.0,0.1.0]", m.getMainAttributes().getValue("DeploymentPackage-FixPack"));
            final Attributes a = m.getAttributes("bundles/io.otaproxy.a.jar");
            assertEquals("true", a.getValue("DeploymentPackage-Missing"));
            assertEquals("the installed version stays", "0.1.0.1", a.getValue("Bundle-Version"));
            final Attributes b = m.getAttributes("bundles/io.otaproxy.b.jar");
            assertNull(b.getValue("DeploymentPackage-Missing"));
            assertEquals("0.2.0.2", b.getValue("Bundle-Version"));
        }

        final IOException nothing = assertThrows(IOException.class, () -> run("--name", "io.otaproxy", "--version",
                "0.3.0", "--bundles", v1.toString(), "--base", base.toString(), "--out", fix.toString()));
        assertTrue(nothing.getMessage(), nothing.getMessage().contains("nothing to fix"));
        assertThrows(IOException.class, () -> run("--name", "io.otaproxy", "--version", "0.1.0", "--bundles",
                v2.toString(), "--base", base.toString(), "--out", fix.toString()));
    }

    @Test
    public void onlyReleaseVersionsNameAPackage() {
        assertEquals("1.2.3", DeploymentPackageWriter.releaseVersion("1.2.3"));
        assertEquals("1.2.3", DeploymentPackageWriter.releaseVersion("1.2.3-SNAPSHOT"));
        for (final String bad : new String[] {"1.2", "1.2.3.202601010000", "1.2.3-rc1", "x"}) {
            assertThrows(bad, IllegalArgumentException.class, () -> DeploymentPackageWriter.releaseVersion(bad));
        }
    }

    private static void run(final String... args) throws IOException {
        DeploymentPackageWriter.main(args);
    }

    private static void bundle(final Path dir, final String file, final String bsn, final String version,
            final String content) throws IOException {
        final Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().putValue("Bundle-SymbolicName", bsn);
        manifest.getMainAttributes().putValue("Bundle-Version", version);
        manifest.getMainAttributes().putValue("Bnd-LastModified", Long.toString(System.nanoTime()));
        try (OutputStream out = Files.newOutputStream(dir.resolve(file));
                JarOutputStream jar = new JarOutputStream(out, manifest)) {
            jar.putNextEntry(new JarEntry("content.txt"));
            jar.write(content.getBytes(StandardCharsets.UTF_8));
            jar.closeEntry();
        }
    }

    private static List<String> entries(final Path dp) throws IOException {
        final List<String> names = new ArrayList<>();
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(dp))) {
            ZipEntry e;
            while ((e = in.getNextEntry()) != null) {
                names.add(e.getName());
            }
        }
        return names;
    }
}
