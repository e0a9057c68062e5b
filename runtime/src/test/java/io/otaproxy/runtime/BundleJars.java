package io.otaproxy.runtime;

import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Predicate;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/** Copies of bundle jars and packages for the update tests: what the next release's build, or an attacker, makes. */
final class BundleJars {

    private BundleJars() {
    }

    /**
     * A copy of the bundle read from {@code in} with another Bundle-Version, every exported package at
     * {@code exports} when given, and when {@code extraEntry} is given an entry more with that text (a content
     * change).
     */
    static byte[] withVersion(final InputStream in, final String version, final String exports,
            final String extraEntry) throws IOException {
        try (JarInputStream jar = new JarInputStream(in, false)) {
            final Manifest manifest = jar.getManifest();
            final Attributes main = manifest.getMainAttributes();
            main.putValue("Bundle-Version", version);
            if (exports != null) {
                main.putValue("Export-Package", main.getValue("Export-Package")
                        .replaceAll("version=\"[0-9.]+\"", "version=\"" + exports + "\""));
            }
            final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (JarOutputStream out = new JarOutputStream(bytes, manifest)) {
                JarEntry e;
                while ((e = jar.getNextJarEntry()) != null) {
                    out.putNextEntry(new JarEntry(e.getName()));
                    jar.transferTo(out);
                    out.closeEntry();
                }
                if (extraEntry != null) {
                    out.putNextEntry(new JarEntry("OSGI-INF/fix.txt"));
                    out.write(extraEntry.getBytes(StandardCharsets.UTF_8));
                    out.closeEntry();
                }
            }
            return bytes.toByteArray();
        }
    }

    /**
     * A copy of a signed jar or package in which one byte of the first entry {@code which} accepts is changed, the
     * signature files left as they were.
     */
    static void tamper(final Path signed, final Path tampered, final Predicate<String> which) throws IOException {
        boolean changed = false;
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(signed));
                ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(tampered))) {
            ZipEntry e;
            while ((e = in.getNextEntry()) != null) {
                final byte[] bytes = in.readAllBytes();
                if (!changed && bytes.length > 0 && which.test(e.getName())) {
                    bytes[bytes.length / 2] ^= 0x01;
                    changed = true;
                }
                out.putNextEntry(new ZipEntry(e.getName()));
                out.write(bytes);
                out.closeEntry();
            }
        }
        assertTrue("an entry was changed", changed);
    }
}
