package io.otaproxy.runtime;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import io.otaproxy.testing.RawHttpClient;
import io.otaproxy.testing.TestData;
import io.otaproxy.testing.TestOrigin;

import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The runnable jar as an updatable gateway: with {@code --data-dir} a bundle dropped into {@code deploy/} replaces the
 * running one behind a health gate. A compatible update is applied and survives a restart; an incompatible one (the
 * API bundle with a new major version, which its dependents cannot use) is rolled back: the proxy serves again, no
 * cache entry is lost, the reason is logged at ERROR and written beside the refused jar.
 */
public class BundleUpdateE2EIT {

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

    private int adminPort;

    private ProxyProcess start(final Path dataDir, final Path cacheDir, final int port) throws Exception {
        adminPort = ProxyProcess.freePort();
        final ProxyProcess p = ProxyProcess.start(tmp.getRoot().toPath(), List.of("-Xmx128m"), "--host", "127.0.0.1",
                "--port", Integer.toString(port), "--cache-dir", cacheDir.toString(), "--data-dir", dataDir.toString(),
                "--admin-port", Integer.toString(adminPort));
        processes.add(p);
        return p;
    }

    @Test
    public void aCompatibleUpdateIsKeptAndAnIncompatibleOneIsRolledBack() throws Exception {
        origin = TestOrigin.start();
        final byte[] body = TestData.generate(300_000, 51);
        origin.put("/firmware.bin", body);
        final Path data = tmp.newFolder("data").toPath();
        final Path cache = tmp.newFolder("cache").toPath();
        final int port = ProxyProcess.freePort();
        final ProxyProcess first = start(data, cache, port);
        assertArrayEquals(body, RawHttpClient.get(port, origin.url("/firmware.bin")).body);

        final Path deploy = data.resolve("deploy");
        await("the deploy directory is watched", () -> Files.isDirectory(deploy));
        write(embeddedBundle("ota-proxy-proxy-", "0.1.99", null), deploy.resolve("proxy-0.1.99.jar"));
        await("the update applied", () -> first.logged("update applied: io.otaproxy.proxy"));
        assertTrue(Files.isRegularFile(deploy.resolve("applied/proxy-0.1.99.jar")));
        assertArrayEquals(body, RawHttpClient.get(port, origin.url("/firmware.bin")).body);

        write(embeddedBundle("ota-proxy-api-", "9.0.0", "9.0.0"), deploy.resolve("api-9.0.0.jar"));
        await("the update refused", () -> first.logged("bundle update api-9.0.0.jar refused"));
        assertTrue(first.output().toString(), first.logged("ERROR update of io.otaproxy.api to 9.0.0 failed its health"
                + " check"));
        assertTrue(first.logged("rolled back: io.otaproxy.api"));
        final String reason = Files.readString(deploy.resolve("failed/api-9.0.0.jar.reason"));
        assertTrue(reason, reason.contains("io.otaproxy.proxy"));
        final String status = RawHttpClient.exchange(adminPort, "GET", "/api/status", true).bodyText();
        assertTrue("the status page shows the rollback: " + status,
                status.contains("bundle update api-9.0.0.jar refused and rolled back"));
        final int originPort = origin.port();
        origin.close(); // what follows comes from the cache, which the rollback kept whole
        final RawHttpClient.Response after = RawHttpClient.get(port, "http://127.0.0.1:" + originPort + "/firmware.bin");
        assertEquals(200, after.status);
        assertArrayEquals(body, after.body);

        final int code = first.terminate();
        assertTrue("exit code " + code + " after SIGTERM", code == 0 || code == 143);
        final ProxyProcess second = start(data, cache, port);
        assertTrue(second.output().toString(), second.logged("running updated bundles: io.otaproxy.proxy 0.1.99"));
        assertArrayEquals("served from the cache after the restart", body,
                RawHttpClient.get(port, "http://127.0.0.1:" + originPort + "/firmware.bin").body);
    }

    @Test
    public void aSecondProcessOnTheSameDataDirectoryIsRefused() throws Exception {
        final Path data = tmp.newFolder("data").toPath();
        start(data, tmp.newFolder("cache").toPath(), ProxyProcess.freePort());
        final Process other = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", System.getProperty("otaproxy.jar"), "--host", "127.0.0.1", "--port",
                Integer.toString(ProxyProcess.freePort()), "--admin-port", "0", "--data-dir", data.toString())
                .redirectErrorStream(true).start();
        assertTrue("exits at once", other.waitFor(60, TimeUnit.SECONDS));
        final String output = new String(other.getInputStream().readAllBytes());
        assertFalse(output, other.exitValue() == 0);
        assertTrue(output, output.contains("is in use by another ota-proxy"));
    }

    @Test
    public void onlyUpdatesSignedByATrustedSignerAreApplied() throws Exception {
        final Path keys = tmp.newFolder("keys").toPath();
        keytool(keys, "-genkeypair", "-alias", "vendor", "-keyalg", "EC", "-dname", "CN=vendor",
                "-keystore", "vendor.p12");
        keytool(keys, "-genkeypair", "-alias", "other", "-keyalg", "EC", "-dname", "CN=other", "-keystore",
                "other.p12");
        keytool(keys, "-exportcert", "-rfc", "-alias", "vendor", "-keystore", "vendor.p12", "-file", "vendor.pem");
        final Path data = tmp.newFolder("data").toPath();
        final int port = ProxyProcess.freePort();
        adminPort = ProxyProcess.freePort();
        final ProxyProcess proxy = ProxyProcess.start(tmp.getRoot().toPath(), List.of("-Xmx128m"), "--host",
                "127.0.0.1", "--port", Integer.toString(port), "--cache-dir", tmp.newFolder("cache").toString(),
                "--data-dir", data.toString(), "--admin-port", Integer.toString(adminPort), "--update-signers",
                keys.resolve("vendor.pem").toString());
        processes.add(proxy);
        final Path deploy = data.resolve("deploy");
        await("the deploy directory is watched", () -> Files.isDirectory(deploy));

        final Path plain = keys.resolve("proxy.jar");
        Files.write(plain, embeddedBundle("ota-proxy-proxy-", "0.1.98", null));
        jarsigner(keys, "other.p12", "other", plain, keys.resolve("by-other.jar"));
        jarsigner(keys, "vendor.p12", "vendor", plain, keys.resolve("by-vendor.jar"));
        BundleJars.tamper(keys.resolve("by-vendor.jar"), keys.resolve("tampered.jar"), name -> name.endsWith(".class"));

        for (final String[] refused : new String[][] {{"proxy.jar", "is not signed"},
            {"by-other.jar", "is not signed by a trusted signer"}, {"tampered.jar", "does not match its content"}}) {
            write(Files.readAllBytes(keys.resolve(refused[0])), deploy.resolve(refused[0]));
            await(refused[0] + " refused", () -> proxy.logged("bundle update " + refused[0] + " refused"));
            final String reason = Files.readString(deploy.resolve("failed/" + refused[0] + ".reason"));
            assertTrue(refused[0] + ": " + reason, reason.contains(refused[1]));
        }
        assertFalse(proxy.logged("updating io.otaproxy.proxy"));
        write(Files.readAllBytes(keys.resolve("by-vendor.jar")), deploy.resolve("by-vendor.jar"));
        await("the signed update applied", () -> proxy.logged("update applied: io.otaproxy.proxy"));
        assertEquals(400, RawHttpClient.get(port, "http://127.0.0.1:" + port + "/").status);
    }

    static void keytool(final Path dir, final String... args) throws Exception {
        final List<String> command = new ArrayList<>(List.of(jdkTool("keytool")));
        command.addAll(List.of(args));
        command.addAll(List.of("-storepass", "changeit", "-keypass", "changeit", "-noprompt"));
        run(dir, command);
    }

    static void jarsigner(final Path dir, final String keystore, final String alias, final Path jar,
            final Path signed) throws Exception {
        run(dir, List.of(jdkTool("jarsigner"), "-keystore", keystore, "-storepass", "changeit", "-signedjar",
                signed.toString(), jar.toString(), alias));
    }

    private static String jdkTool(final String name) {
        return Path.of(System.getProperty("java.home"), "bin", name).toString();
    }

    static void run(final Path dir, final List<String> command) throws Exception {
        final Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        final String output = new String(p.getInputStream().readAllBytes());
        assertTrue("timed out: " + command, p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(command + ": " + output, 0, p.exitValue());
    }


    /**
     * A bundle of the runnable jar with a new Bundle-Version and, when {@code exports} is given, every exported
     * package at that version: what a build of the next release would ship.
     */
    static byte[] embeddedBundle(final String prefix, final String version, final String exports)
            throws IOException {
        try (JarFile runnable = new JarFile(System.getProperty("otaproxy.jar"))) {
            final JarEntry entry = runnable.stream().filter(e -> e.getName().startsWith("bundles/" + prefix))
                    .findFirst().orElseThrow(() -> new AssertionError("no embedded bundle " + prefix));
            try (InputStream in = runnable.getInputStream(entry)) {
                return BundleJars.withVersion(in, version, exports, null);
            }
        }
    }

    /** Writes the jar beside its place and moves it in, as a delivery would: the watcher never sees half of it. */
    static void write(final byte[] jar, final Path target) throws IOException {
        final Path part = target.resolveSibling(target.getFileName() + ".part");
        try (OutputStream out = Files.newOutputStream(part)) {
            out.write(jar);
        }
        Files.move(part, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    static void await(final String what, final BooleanSupplier condition) throws InterruptedException {
        final long deadline = System.currentTimeMillis() + 90_000;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(100);
        }
    }
}
